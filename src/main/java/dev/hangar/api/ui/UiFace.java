package dev.hangar.api.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.core.HangarException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web console at {@code /ui}: the page the front-end build (ui/, Vite) bundled into the jar, and
 * its login ({@code /ui/session}) for when OAuth is on. index.html is never cached (it names the
 * bundle's current files); the files under /ui/assets carry a hash of their content in their names,
 * so they are cached for a year. Every answer forbids sniffing and framing, and the page may load
 * and connect to nothing but this origin (Content-Security-Policy).
 */
public final class UiFace {
    /** Where the bundle lies on the class path (target/classes/ui, from ui/vite.config.js). */
    public static final String BUNDLE = "ui";
    static final String LONG_CACHE = "public, max-age=31536000, immutable";
    private static final Pattern ASSET_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("map", "application/json"),
            Map.entry("json", "application/json"),
            Map.entry("txt", "text/plain; charset=utf-8"));

    private record Asset(byte[] bytes, String type) {}

    private final String bundle;
    private final Logins sessions;
    private final Map<String, Asset> assets = new ConcurrentHashMap<>();

    /** {@code sessions}: the logins when OAuth is on; null when it is off (the page needs none). */
    public UiFace(Logins sessions) {
        this(BUNDLE, sessions);
    }

    /** Serves the bundle found at this class-path folder (tests give one of their own). */
    UiFace(String bundle, Logins sessions) {
        this.bundle = bundle;
        this.sessions = sessions;
    }

    public void register(ApiServer server) {
        server.compress("/ui", "/ui/*");
        server.route("GET", "/", this::home);
        server.route("GET", "/ui", this::index); // also /ui/: the server ignores empty segments
        server.route("GET", "/ui/assets/:file", this::asset);
        server.route("GET", "/ui/session", this::whoAmI);
        server.route("POST", "/ui/session", this::login);
        server.route("DELETE", "/ui/session", this::logout);
    }

    /** The service's root, as a browser opens it: the console. */
    private void home(Exchange ex) throws IOException {
        ex.setHeader("Location", "/ui/");
        ex.empty(302);
    }

    private void index(Exchange ex) throws IOException {
        Asset index = load("index.html").orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "ui-not-built",
                "this build of Hangar has no web console (it was built with -Dui.skip)"));
        secure(ex);
        ex.setHeader("Cache-Control", "no-cache");
        ex.bytes(200, index.bytes, index.type);
    }

    private void asset(Exchange ex) throws IOException {
        String name = ex.pathParam("file");
        Optional<Asset> asset = ASSET_NAME.matcher(name).matches() ? load("assets/" + name) : Optional.empty();
        if (asset.isEmpty()) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "ui-asset-not-found", "the web console has no file " + name);
        }
        secure(ex);
        ex.setHeader("Cache-Control", LONG_CACHE);
        ex.bytes(200, asset.get().bytes, asset.get().type);
    }

    /** The headers every answer of the console carries. */
    private static void secure(Exchange ex) {
        ex.setHeader("Content-Security-Policy", contentSecurityPolicy(ex.baseUrl()));
        ex.setHeader("X-Content-Type-Options", "nosniff");
        ex.setHeader("X-Frame-Options", "DENY");
        ex.setHeader("Referrer-Policy", "no-referrer");
    }

    /**
     * This origin only. connect-src names the WebSocket origin too: 'self' covers ws: and wss: of the
     * same host only in browsers of CSP level 3. Styles may be inline: xterm.js's renderer sizes and
     * colours the terminal with style elements and attributes it writes at run time (it has no nonce
     * option); scripts may not. {@code baseUrl} is the scheme and a Host header the server checked for
     * characters that could break the header.
     */
    static String contentSecurityPolicy(String baseUrl) {
        String ws = baseUrl.replaceFirst("^http", "ws");
        return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; font-src 'self'; connect-src 'self' " + ws
                + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    /**
     * A file of the bundle, read once and kept. Only files that exist are kept: a name asked for that is
     * not there is looked up again next time, so made-up names cannot grow the cache.
     */
    private Optional<Asset> load(String path) {
        return Optional.ofNullable(assets.computeIfAbsent(path, p -> {
            String type = TYPES.get(p.substring(p.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT));
            if (type == null) return null;
            try (InputStream in = UiFace.class.getClassLoader().getResourceAsStream(bundle + "/" + p)) {
                return in == null ? null : new Asset(in.readAllBytes(), type);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
    }

    /** How many files are kept, for the test that made-up names keep none. */
    int cachedFiles() {
        return assets.size();
    }

    /** GET /ui/session: whether OAuth is on, and who this browser is logged in as (null: nobody). */
    private void whoAmI(Exchange ex) throws IOException {
        ex.setHeader("Cache-Control", "no-store");
        ex.json(200, state(sessions == null ? null : sessions.session(Logins.tokenFrom(ex.header("Cookie"))).orElse(null)));
    }

    private Map<String, Object> state(Logins.Session session) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("oauth", sessions != null);
        out.put("client", session == null ? null : session.client());
        out.put("expires_at", session == null ? null : session.expires().toString());
        return out;
    }

    /** POST /ui/session {"client", "secret"}: one of the configured OAuth clients logs this browser in. */
    private void login(Exchange ex) throws IOException {
        if (sessions == null) {
            throw new HangarException(HangarException.Kind.CONFLICT, "oauth-off", "OAuth is off here: the web console needs no login");
        }
        if (!"1".equals(ex.header(Logins.SESSION_HEADER))) {
            // As for every write by cookie: a cross-site form cannot set it, so it cannot log a browser in as someone.
            ex.json(403, ApiServer.error("session-header-missing", "a login must carry the header " + Logins.SESSION_HEADER + ": 1"));
            return;
        }
        JsonNode body = ex.jsonObject("invalid-login");
        JsonNode client = body.get("client");
        JsonNode secret = body.get("secret");
        if (client == null || !client.isTextual() || secret == null || !secret.isTextual()) {
            throw HangarException.invalid("invalid-login", "give \"client\" (an OAuth consumer key) and \"secret\" (its secret), both strings");
        }
        Optional<Logins.Login> login;
        try {
            login = sessions.login(client.asText(), secret.asText(), ex.remoteAddress());
        } catch (Logins.Throttled e) {
            throw new HangarException(HangarException.Kind.TOO_MANY, "too-many-logins", e.getMessage());
        }
        if (login.isEmpty()) {
            ex.setHeader("WWW-Authenticate", "OAuth realm=\"hangar\"");
            ex.json(401, ApiServer.error("login-failed", "no configured OAuth client has this key and secret"));
            return;
        }
        ex.setHeader("Set-Cookie", cookie(ex, login.get().token(), sessions.lifetime().toSeconds()));
        ex.setHeader("Cache-Control", "no-store");
        ex.json(200, state(login.get().session()));
    }

    /** DELETE /ui/session: ends this browser's session, if it has one, and forgets its cookie. */
    private void logout(Exchange ex) throws IOException {
        if (sessions != null) sessions.logout(Logins.tokenFrom(ex.header("Cookie")));
        ex.setHeader("Set-Cookie", cookie(ex, "", 0));
        ex.empty(204);
    }

    /** The session cookie: only for HTTP (no script reads it), only same-site requests send it, only over TLS when TLS is on. */
    static String cookie(Exchange ex, String token, long maxAgeSeconds) {
        return Logins.COOKIE + "=" + token + "; Path=/; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=Strict"
                + (ex.scheme().equals("https") ? "; Secure" : "");
    }
}
