package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.api.imagefactory.ImageFactoryFace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real ApiServer with the OAuth guard and the audit log, and requests signed by an independent
 * implementation: Debian's python3-requests-oauthlib, run as a local process that signs and prints
 * (it sends nothing; this test sends what it printed, as it is or with one byte changed).
 */
class OAuthServerTest {
    private static final String PYTHON = "/usr/bin/python3"; // Debian's, with its python3-requests-oauthlib
    private static final String FORM = "application/x-www-form-urlencoded";

    @TempDir
    Path dir;

    private final ApiServer server = new ApiServer();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private String base;

    @BeforeEach
    void start() throws Exception {
        server.route("GET", "/things/:id", ex -> ex.json(200, Map.of("id", ex.pathParam("id"))));
        server.route("POST", "/things", ex -> ex.json(201, Map.of("body", new String(ex.bodyBytes("invalid-body"), StandardCharsets.UTF_8))));
        server.route("PUT", "/things/:id", ex -> ex.json(200, Map.of("id", ex.pathParam("id"), "body", ex.jsonObject("invalid-json"))));
        server.route("DELETE", "/things/:id", ex -> ex.empty(204));
        server.route("GET", "/imagefactory/images", ex -> ex.json(200, Map.of("images", List.of())));
        server.route("GET", "/imagefactory/published/:id/:name", ex -> ex.text(200, "image bytes"));
        // mock-key as the seeds' tools were configured; strict-key as clients added from now on (require_body_hash).
        OAuth1Verifier verifier = new OAuth1Verifier(Map.of("mock-key", "mock-secret", "strict-key", "strict-secret"),
                java.util.Set.of("strict-key"), Clock.systemUTC(), Duration.ofSeconds(300));
        server.guard(new OAuthGuard(verifier, ImageFactoryFace::isApiPath)).recorder(new AuditLog(dir.resolve("audit.log"), Clock.systemUTC()));
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void requestsSignedByRequestsOauthlibAreAcceptedOnceEach() throws Exception {
        List<ObjectNode> specs = new ArrayList<>();
        for (String method : List.of("HMAC-SHA1", "HMAC-SHA256")) {
            specs.add(spec("GET", "/imagefactory/images", method));
            specs.add(spec("POST", "/things?dry_run=1&name=a+b", method).put("body", "targets=mock&template=%3Ctemplate%2F%3E").put("content_type", FORM));
            specs.add(spec("PUT", "/things/7", method).put("body", "{\"size\": 3}").put("content_type", "application/json").put("body_hash", true));
            specs.add(spec("POST", "/things", method).put("body", "{\"cpus\": 2}"));
            specs.add(spec("DELETE", "/things/7", method));
        }
        specs.add(spec("POST", "/things", "HMAC-SHA512").put("body", "a=1").put("content_type", FORM));
        List<JsonNode> signed = sign(specs);
        assertTrue(signed.get(2).get("headers").get("Authorization").asText().contains("oauth_body_hash="), "oauthlib sent a body hash");
        for (JsonNode request : signed) {
            HttpResponse<String> r = send(request, null);
            assertTrue(r.statusCode() / 100 == 2, request.get("method").asText() + " " + request.get("url").asText() + ": " + r.statusCode() + " " + r.body());
            if (request.get("method").asText().equals("POST")) {
                assertEquals(request.get("body").asText(), Json.MAPPER.readTree(r.body()).get("body").asText(), "the handler read the body the guard read");
            }
            // The very same request again is a replay.
            HttpResponse<String> again = send(request, null);
            assertRefused(again, 401, "oauth-replayed");
        }
    }

    @Test
    void aSignedRequestWithAByteChangedIsRefused() throws Exception {
        List<JsonNode> signed = sign(List.of(
                spec("POST", "/things", "HMAC-SHA1").put("body", "targets=mock&template=x").put("content_type", FORM),
                spec("PUT", "/things/7", "HMAC-SHA256").put("body", "{\"size\": 3}").put("content_type", "application/json").put("body_hash", true),
                spec("DELETE", "/things/7", "HMAC-SHA256"),
                spec("POST", "/things?name=web", "HMAC-SHA1").put("body", "{}"),
                spec("GET", "/imagefactory/images", "HMAC-SHA256")));
        assertRefused(send(signed.get(0), r -> r.replace("template=x", "template=y")), 401, "oauth-invalid-signature");
        assertRefused(send(signed.get(1), r -> r.replace("\"size\": 3", "\"size\": 4")), 401, "oauth-body-hash-mismatch");
        assertRefused(send(signed.get(2), r -> r.replace("/things/7", "/things/8")), 401, "oauth-invalid-signature");
        assertRefused(send(signed.get(3), r -> r.replace("name=web", "name=wed")), 401, "oauth-invalid-signature");
        // An unknown key reads as a wrong signature to the client (the audit log keeps which it was: below).
        assertRefused(send(signed.get(4), r -> r.replace("oauth_consumer_key=\"mock-key\"", "oauth_consumer_key=\"mock-kez\"")), 401, "oauth-invalid-signature");
        // Each refused request left its nonce unused: unchanged, it is accepted.
        for (JsonNode request : signed) assertTrue(send(request, null).statusCode() / 100 == 2);
    }

    @Test
    void unsignedWritesAndProtectedReadsAre401AndOpenReadsStayOpen() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/things"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(r, 401, "oauth-missing");
        r = http.send(HttpRequest.newBuilder(URI.create(base + "/nowhere")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(r, 401, "oauth-missing");
        r = http.send(HttpRequest.newBuilder(URI.create(base + "/imagefactory/images")).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(r, 401, "oauth-missing");
        // An encoded path names the same route, and is protected the same.
        r = http.send(HttpRequest.newBuilder(URI.create(base + "/%69magefactory/images")).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(r, 401, "oauth-missing");
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/things/1")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/imagefactory/published/a/disk.qcow2")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        List<JsonNode> wrong = sign(List.of(spec("POST", "/things", "HMAC-SHA1").put("secret", "not-the-secret").put("body", "{}")));
        assertRefused(send(wrong.get(0), null), 401, "oauth-invalid-signature");
    }

    /** A PUT signed as a client of the given key, with this body and Content-Type, sent with another body. */
    private HttpResponse<String> putSigned(String key, String secret, String type, String signedBody, String sentBody) throws Exception {
        URI uri = URI.create(base + "/things/7");
        String authorization = new OAuth1Signer(key, secret).authorization("PUT", uri, type, signedBody.getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(uri).header("Authorization", authorization).header("Content-Type", type)
                .PUT(HttpRequest.BodyPublishers.ofString(sentBody)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anUnknownKeyIsToldWhatAWrongSignatureIsAndTheAuditLogKeepsWhichItWas() throws Exception {
        HttpResponse<String> r = putSigned("no-such-key", "mock-secret", "application/json", "{}", "{}");
        assertRefused(r, 401, "oauth-invalid-signature");
        long until = System.nanoTime() + 5_000_000_000L;
        Path audit = dir.resolve("audit.log"); // written just after the answer
        while ((!Files.exists(audit) || !Files.readString(audit).contains("\"reason\":\"oauth-unknown-client\"")) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(Files.readString(dir.resolve("audit.log")).contains("\"reason\":\"oauth-unknown-client\""), Files.readString(dir.resolve("audit.log")));
    }

    @Test
    void jsonSentAsAFormIsReadAsItsSignatureReadItNeverFromBytesThatDecodeAlike() throws Exception {
        // "%41" and "A" decode alike: one signature covers both bodies, so the face must see what was signed.
        HttpResponse<String> r = putSigned("mock-key", "mock-secret", FORM, "{\"name\": \"xA\"}", "{\"name\": \"x%41\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("xA", Json.MAPPER.readTree(r.body()).get("body").get("name").textValue());
    }

    @Test
    void aClientThatMustHashItsBodyCannotSignAJsonBodyWithoutItsHash() throws Exception {
        OAuth1Signer strict = new OAuth1Signer("strict-key", "strict-secret");
        URI uri = URI.create(base + "/things/7");
        // The CLI's signer hashes every non-form body: admitted. Without the hash (a swapped body would pass): refused.
        assertEquals(200, putSigned("strict-key", "strict-secret", "application/json", "{\"a\": 1}", "{\"a\": 1}").statusCode());
        String noHash = strict.authorization("PUT", uri, FORM, new byte[0]); // signed as if the body were an empty form
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(uri).header("Authorization", noHash).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"a\": 2}")).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(refused, 401, "oauth-body-hash-missing");
        String legacy = new OAuth1Signer("mock-key", "mock-secret").authorization("PUT", uri, FORM, new byte[0]);
        assertEquals(200, http.send(HttpRequest.newBuilder(uri).header("Authorization", legacy).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"a\": 2}")).build(), HttpResponse.BodyHandlers.discarding()).statusCode(),
                "a client of the seeds' tools, configured as before, keeps working");
    }

    @Test
    void aWebSocketUpgradeIsAWriteThoughItIsAGet() throws Exception {
        // What a WebSocket's client sends reaches a VM (keys typed into its console): no anonymous upgrade.
        try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /things/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 401 Unauthorized", status);
        }
    }

    @Test
    void everyWriteIsAnAuditLineWithItsClientAndStatus() throws Exception {
        List<JsonNode> signed = sign(List.of(spec("POST", "/things", "HMAC-SHA256").put("body", "password=hunter2").put("content_type", FORM),
                spec("DELETE", "/things/9", "HMAC-SHA1")));
        assertEquals(201, send(signed.get(0), null).statusCode());
        assertEquals(204, send(signed.get(1), null).statusCode());
        assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(base + "/things")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/things/1")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        String log = Files.readString(dir.resolve("audit.log"));
        List<String> lines = log.lines().toList();
        assertEquals(3, lines.size(), log); // the read is not a write
        JsonNode post = Json.MAPPER.readTree(lines.get(0));
        assertEquals("mock-key", post.get("consumer_key").asText());
        assertEquals("POST", post.get("method").asText());
        assertEquals("/things", post.get("path").asText());
        assertEquals(201, post.get("status").asInt());
        assertEquals("127.0.0.1", post.get("remote").asText());
        assertNotNull(java.time.Instant.parse(post.get("time").asText()));
        JsonNode delete = Json.MAPPER.readTree(lines.get(1));
        assertEquals("mock-key", delete.get("consumer_key").asText());
        assertEquals(204, delete.get("status").asInt());
        JsonNode refused = Json.MAPPER.readTree(lines.get(2));
        assertTrue(refused.get("consumer_key").isNull());
        assertEquals(401, refused.get("status").asInt());
        assertFalse(log.contains("hunter2"), "no bodies in the audit log");
    }

    private ObjectNode spec(String method, String pathAndQuery, String signatureMethod) {
        return Json.MAPPER.createObjectNode().put("method", method).put("url", base + pathAndQuery)
                .put("key", "mock-key").put("secret", "mock-secret").put("signature_method", signatureMethod);
    }

    /** Signs with requests-oauthlib in a python3 process (an argument list, no shell); returns what it printed. */
    private static List<JsonNode> sign(List<ObjectNode> specs) throws Exception {
        ArrayNode list = Json.MAPPER.createArrayNode().addAll(specs);
        Path script = Path.of(OAuthServerTest.class.getResource("/oauth/sign_requests.py").toURI());
        Process p = new ProcessBuilder(PYTHON, script.toString(), list.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the signer finishes");
        assertEquals(0, p.exitValue(), "python3-requests-oauthlib signs (scripts/install-deps installs it): " + out);
        List<JsonNode> signed = new ArrayList<>();
        Json.MAPPER.readTree(out).forEach(signed::add);
        return signed;
    }

    /** Sends a signed request; {@code change} (may be null) edits its text (request line, headers, body) first. */
    private HttpResponse<String> send(JsonNode signed, java.util.function.UnaryOperator<String> change) throws Exception {
        String url = signed.get("url").asText();
        String body = signed.get("body").asText();
        String authorization = signed.get("headers").get("Authorization").asText();
        if (change != null) {
            url = change.apply(url);
            body = change.apply(body);
            authorization = change.apply(authorization);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", authorization)
                .method(signed.get("method").asText(), body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        JsonNode type = signed.get("headers").get("Content-Type");
        if (type != null) b.header("Content-Type", type.asText());
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(code, Json.MAPPER.readTree(r.body()).get("code").asText(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        if (status == 401) assertEquals("OAuth realm=\"hangar\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
    }
}
