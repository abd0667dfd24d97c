package dev.hangar.api.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.security.OAuth1Verifier;
import dev.hangar.security.OAuthGuard;
import dev.hangar.security.UiSessions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The web console's face on a real ApiServer: the page and its files with their headers, and its login
 * with the OAuth guard, as a browser meets them. The page here is a small bundle of the tests' own
 * (src/test/resources/ui-test); one test reads the real bundle the build made.
 */
class UiFaceTest {
    private static final String KEY = "ops";
    private static final String SECRET = "s3cret-ops";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private ApiServer server;
    private String base;

    private UiFace face;

    /** Starts the face; with OAuth on, behind the guard `serve` puts in front of it, and a write route to try it on. */
    private void start(String bundle, boolean oauth) throws Exception {
        UiSessions sessions = oauth ? new UiSessions(Map.of(KEY, SECRET), Clock.systemUTC(), Duration.ofHours(12), 10) : null;
        server = new ApiServer();
        if (oauth) {
            server.guard(new OAuthGuard(new OAuth1Verifier(Map.of(KEY, SECRET), Clock.systemUTC(), Duration.ofSeconds(300)),
                    segments -> false, sessions));
        }
        face = new UiFace(bundle, sessions);
        face.register(server);
        server.route("POST", "/things", ex -> ex.json(201, Map.of("made", true)));
        server.route("GET", "/things/ws", ex -> ex.json(200, Map.of("upgraded", "would be")));
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String code(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body()).path("code").asText();
    }

    private static void assertGuarded(HttpResponse<String> r) {
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
        assertTrue(csp.contains("connect-src 'self' ws://127.0.0.1:"), csp);
        assertFalse(csp.replace("style-src 'self' 'unsafe-inline'", "").contains("unsafe"), "only styles may be inline: " + csp);
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
    }

    @Test
    void thePageIsAtUiAndUiSlashNeverCached() throws Exception {
        start("ui-test", false);
        for (String path : new String[] {"/ui", "/ui/"}) {
            HttpResponse<String> r = send("GET", path, null);
            assertEquals(200, r.statusCode(), path);
            assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
            assertEquals("no-cache", r.headers().firstValue("Cache-Control").orElse(""));
            assertTrue(r.body().contains("<title>Hangar test page</title>"));
            assertGuarded(r);
        }
    }

    @Test
    void itsHashedFilesAreCachedForAYearWithTheirTypes() throws Exception {
        start("ui-test", false);
        HttpResponse<String> js = send("GET", "/ui/assets/app-4f2a.js", null);
        assertEquals(200, js.statusCode());
        assertEquals("text/javascript; charset=utf-8", js.headers().firstValue("Content-Type").orElse(""));
        assertEquals("public, max-age=31536000, immutable", js.headers().firstValue("Cache-Control").orElse(""));
        assertEquals("document.title = \"café\";\n", js.body());
        assertGuarded(js);
        HttpResponse<String> css = send("GET", "/ui/assets/app-4f2a.css", null);
        assertEquals("text/css; charset=utf-8", css.headers().firstValue("Content-Type").orElse(""));
        HttpResponse<byte[]> png = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/assets/logo.png")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
        try (InputStream in = UiFace.class.getClassLoader().getResourceAsStream("ui-test/assets/logo.png")) {
            assertTrue(java.util.Arrays.equals(in.readAllBytes(), png.body()), "an image is sent byte for byte");
        }
    }

    @Test
    void anyOtherFileIsNotFound() throws Exception {
        start("ui-test", false);
        for (String path : new String[] {"/ui/assets/missing.js", "/ui/assets/..%2Findex.html", "/ui/assets/.hidden.js",
                "/ui/assets/missing.png", "/ui/assets/app-4f2a.exe"}) {
            HttpResponse<String> r = send("GET", path, null);
            assertEquals(404, r.statusCode(), path);
            assertEquals("ui-asset-not-found", code(r), path);
        }
        for (int i = 0; i < 50; i++) assertEquals(404, send("GET", "/ui/assets/made-up-" + i + ".js", null).statusCode());
        assertEquals(0, face.cachedFiles(), "names that are not there are not kept: made-up names cannot grow the cache");
        assertEquals(200, send("GET", "/ui/assets/app-4f2a.js", null).statusCode());
        assertEquals(1, face.cachedFiles(), "a file that is there is read once and kept");
    }

    @Test
    void theRootSendsABrowserToTheConsole() throws Exception {
        start("ui-test", false);
        HttpResponse<String> r = send("GET", "/", null);
        assertEquals(302, r.statusCode());
        assertEquals("/ui/", r.headers().firstValue("Location").orElse(""));
    }

    @Test
    void aJarBuiltWithoutTheConsoleSaysSo() throws Exception {
        start("no-such-bundle", false);
        HttpResponse<String> r = send("GET", "/ui", null);
        assertEquals(404, r.statusCode());
        assertEquals("ui-not-built", code(r));
    }

    @Test
    void theBuiltBundleIsGzippedForBrowsersThatAcceptIt() throws Exception {
        assumeTrue(UiFace.class.getClassLoader().getResource("ui/index.html") != null, "built with -Dui.skip: no bundle");
        start(UiFace.BUNDLE, false);
        Matcher script = Pattern.compile("/ui/assets/[A-Za-z0-9._-]+\\.js").matcher(send("GET", "/ui/", null).body());
        assertTrue(script.find());
        HttpResponse<byte[]> zipped = http.send(HttpRequest.newBuilder(URI.create(base + script.group()))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
        byte[] plain = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(zipped.body())).readAllBytes();
        try (InputStream in = UiFace.class.getClassLoader().getResourceAsStream("ui/" + script.group().substring("/ui/".length()))) {
            assertTrue(java.util.Arrays.equals(in.readAllBytes(), plain), "unzipped, it is the file");
        }
        assertTrue(zipped.body().length < plain.length / 2, zipped.body().length + " bytes gzipped of " + plain.length);
    }

    @Test
    void theBuiltBundleIsServedWholeAsText() throws Exception {
        assumeTrue(UiFace.class.getClassLoader().getResource("ui/index.html") != null, "built with -Dui.skip: no bundle");
        start(UiFace.BUNDLE, false);
        HttpResponse<String> index = send("GET", "/ui/", null);
        assertEquals(200, index.statusCode());
        Matcher assets = Pattern.compile("/ui/assets/([A-Za-z0-9._-]+)").matcher(index.body());
        int found = 0;
        while (assets.find()) {
            HttpResponse<String> asset = send("GET", assets.group(), null);
            assertEquals(200, asset.statusCode(), assets.group());
            try (InputStream in = UiFace.class.getClassLoader().getResourceAsStream("ui/assets/" + assets.group(1))) {
                // byte for byte what the build wrote: text survives being sent as text
                assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), asset.body(), assets.group());
            }
            found++;
        }
        assertTrue(found >= 2, "index.html names its script and its style sheet: " + index.body());
    }

    @Test
    void withOAuthOffThePageNeedsNoLogin() throws Exception {
        start("ui-test", false);
        JsonNode state = Json.MAPPER.readTree(send("GET", "/ui/session", null).body());
        assertFalse(state.path("oauth").asBoolean());
        assertTrue(state.path("client").isNull());
        HttpResponse<String> login = send("POST", "/ui/session", "{\"client\": \"ops\", \"secret\": \"s3cret-ops\"}",
                "X-Hangar-Session", "1", "Content-Type", "application/json");
        assertEquals(409, login.statusCode());
        assertEquals("oauth-off", code(login));
        assertEquals(201, send("POST", "/things", "{}").statusCode());
    }

    private String login() throws Exception {
        HttpResponse<String> r = send("POST", "/ui/session", "{\"client\": \"ops\", \"secret\": \"s3cret-ops\"}",
                "X-Hangar-Session", "1", "Content-Type", "application/json");
        assertEquals(200, r.statusCode(), r.body());
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        return cookie.substring(0, cookie.indexOf(';'));
    }

    @Test
    void aConfiguredClientLogsInAndGetsAStrictCookie() throws Exception {
        start("ui-test", true);
        assertTrue(Json.MAPPER.readTree(send("GET", "/ui/session", null).body()).path("oauth").asBoolean());
        HttpResponse<String> r = send("POST", "/ui/session", "{\"client\": \"ops\", \"secret\": \"s3cret-ops\"}",
                "X-Hangar-Session", "1", "Content-Type", "application/json");
        assertEquals(200, r.statusCode());
        assertEquals("ops", Json.MAPPER.readTree(r.body()).path("client").asText());
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.matches("hangar_session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict"), cookie);
        JsonNode me = Json.MAPPER.readTree(send("GET", "/ui/session", null, "Cookie", cookie.substring(0, cookie.indexOf(';'))).body());
        assertEquals("ops", me.path("client").asText());
        assertFalse(me.path("expires_at").isNull());
    }

    @Test
    void aWrongKeyOrSecretOrAMalformedLoginIsRefused() throws Exception {
        start("ui-test", true);
        for (String body : new String[] {"{\"client\": \"ops\", \"secret\": \"wrong\"}", "{\"client\": \"nobody\", \"secret\": \"s3cret-ops\"}"}) {
            HttpResponse<String> r = send("POST", "/ui/session", body, "X-Hangar-Session", "1");
            assertEquals(401, r.statusCode(), body);
            assertEquals("login-failed", code(r));
            assertTrue(r.headers().firstValue("Set-Cookie").isEmpty());
        }
        for (String body : new String[] {"{\"client\": \"ops\"}", "{\"client\": 1, \"secret\": 2}", "[]", "not json"}) {
            HttpResponse<String> r = send("POST", "/ui/session", body, "X-Hangar-Session", "1");
            assertEquals(400, r.statusCode(), body);
            assertEquals("invalid-login", code(r));
        }
        // a cross-site form cannot add the header, so it cannot log a browser in
        HttpResponse<String> form = send("POST", "/ui/session", "{\"client\": \"ops\", \"secret\": \"s3cret-ops\"}",
                "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(403, form.statusCode());
        assertEquals("session-header-missing", code(form));
    }

    @Test
    void withOAuthOnAWriteNeedsTheSessionCookieAndTheHeader() throws Exception {
        start("ui-test", true);
        HttpResponse<String> anonymous = send("POST", "/things", "{}", "X-Hangar-Session", "1");
        assertEquals(401, anonymous.statusCode());
        assertEquals("oauth-missing", code(anonymous));
        String cookie = login();
        HttpResponse<String> noHeader = send("POST", "/things", "{}", "Cookie", cookie);
        assertEquals(403, noHeader.statusCode());
        assertEquals("session-header-missing", code(noHeader));
        assertEquals(201, send("POST", "/things", "{}", "Cookie", cookie, "X-Hangar-Session", "1").statusCode());
        assertEquals(201, send("POST", "/things", "{}", "Cookie", cookie, "X-Hangar-Session", "1", "Origin", base).statusCode());
        HttpResponse<String> foreign = send("POST", "/things", "{}", "Cookie", cookie, "X-Hangar-Session", "1", "Origin", "http://evil.example");
        assertEquals(403, foreign.statusCode());
        assertEquals("origin-mismatch", code(foreign));
        HttpResponse<String> forged = send("POST", "/things", "{}", "Cookie", "hangar_session=forged", "X-Hangar-Session", "1");
        assertEquals(401, forged.statusCode());
        assertEquals("session-expired", code(forged));
        // reads stay open, with or without a cookie
        assertEquals(200, send("GET", "/ui", null, "Cookie", "hangar_session=forged").statusCode());
    }

    @Test
    void logoutEndsTheSession() throws Exception {
        start("ui-test", true);
        String cookie = login();
        HttpResponse<String> out = send("DELETE", "/ui/session", null, "Cookie", cookie, "X-Hangar-Session", "1");
        assertEquals(204, out.statusCode());
        assertTrue(out.headers().firstValue("Set-Cookie").orElse("").startsWith("hangar_session=; Path=/; Max-Age=0;"));
        HttpResponse<String> after = send("POST", "/things", "{}", "Cookie", cookie, "X-Hangar-Session", "1");
        assertEquals(401, after.statusCode());
        assertEquals("session-expired", code(after));
        assertTrue(Json.MAPPER.readTree(send("GET", "/ui/session", null, "Cookie", cookie).body()).path("client").isNull());
    }

    @Test
    void aWebSocketByCookieMustComeFromAPageOfThisOrigin() throws Exception {
        start("ui-test", true);
        String cookie = login();
        assertEquals(401, upgrade(null, null));
        assertEquals(403, upgrade(cookie, "http://evil.example"));
        assertEquals(403, upgrade(cookie, null));
        assertEquals(200, upgrade(cookie, base)); // admitted; this route answers instead of upgrading
    }

    /** The status of a WebSocket handshake (RFC 6455 §4.1) to /things/ws; Java's client may not send Upgrade itself. */
    private int upgrade(String cookie, String origin) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
            StringBuilder req = new StringBuilder("GET /things/ws HTTP/1.1\r\nHost: 127.0.0.1:" + server.address().getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
            if (cookie != null) req.append("Cookie: ").append(cookie).append("\r\n");
            if (origin != null) req.append("Origin: ").append(origin).append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }
}
