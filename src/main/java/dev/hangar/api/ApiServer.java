package dev.hangar.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.hangar.core.HangarException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server all faces hang their routes on (the JDK's own server, one virtual thread a request).
 * Every error leaves as {@code {"code": ..., "message": ...}}: HangarException kinds map to statuses
 * here, once; anything unexpected is a 500 internal-error whose details go to the log, not the client.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    @FunctionalInterface
    public interface Handler {
        void handle(Exchange exchange) throws IOException;
    }

    /**
     * Runs before any route, with the body already read: admits a request (saying who sent it, when it
     * knows) or refuses it with a status, a stable code and headers. E.g. OAuth's signature check.
     */
    @FunctionalInterface
    public interface Guard {
        Admission admit(Exchange exchange);
    }

    /** A guard's answer: admitted (principal may be null: anonymous), or refused with an error to send. */
    public record Admission(boolean admitted, String principal, int status, String code, String message,
                            Map<String, String> headers) {
        public static Admission open() {
            return new Admission(true, null, 0, null, null, Map.of());
        }

        public static Admission as(String principal) {
            return new Admission(true, principal, 0, null, null, Map.of());
        }

        public static Admission refused(int status, String code, String message, Map<String, String> headers) {
            return new Admission(false, null, status, code, message, Map.copyOf(headers));
        }
    }

    /** Told of every request once it was answered (or failed to be), e.g. the audit log. */
    @FunctionalInterface
    public interface Recorder {
        void answered(Exchange exchange, String principal);
    }

    private record Route(String method, String path, String[] segments, Handler handler) {}

    /** A registered route as a document names it: its method and its path pattern ({@code /vms/:id}). */
    public record RouteName(String method, String path) {}

    /** What a 429 tells the client to wait before it asks again. */
    static final String RETRY_AFTER_SECONDS = "5";
    /** The protocols a TLS listener offers: nothing older than 1.2. */
    static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final List<Route> routes = new ArrayList<>();
    private Guard guard = exchange -> Admission.open();
    private final List<Recorder> recorders = new java.util.concurrent.CopyOnWriteArrayList<>();
    private HttpServer server;

    /** Sets the guard every request passes before dispatch (default: every request is admitted). */
    public ApiServer guard(Guard guard) {
        this.guard = guard;
        return this;
    }

    /** Adds one more who is told of every answered request (the audit log, the request metrics). */
    public ApiServer recorder(Recorder recorder) {
        recorders.add(recorder);
        return this;
    }

    /** Adds a route; a path segment written {@code :name} matches any one segment and is captured. */
    public ApiServer route(String method, String path, Handler handler) {
        routes.add(new Route(method, path, split(path), handler));
        return this;
    }

    /** The routes registered so far, in the order they are matched. */
    public List<RouteName> routes() {
        return routes.stream().map(r -> new RouteName(r.method, r.path)).toList();
    }

    /** Starts plain HTTP on this address. */
    public void start(InetSocketAddress address) throws IOException {
        start(address, null);
    }

    /** Starts on this address: HTTPS with this context (TLS 1.3 and 1.2 only), or plain HTTP when it is null. */
    public void start(InetSocketAddress address, SSLContext tls) throws IOException {
        if (tls == null) {
            server = HttpServer.create(address, 128);
        } else {
            HttpsServer https = HttpsServer.create(address, 128);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = tls.getDefaultSSLParameters();
                    p.setProtocols(TLS_PROTOCOLS);
                    params.setSSLParameters(p);
                }
            });
            server = https;
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::dispatch);
        server.start();
    }

    /** Whether this listener speaks TLS. */
    public boolean secure() {
        return server instanceof HttpsServer;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void dispatch(HttpExchange http) {
        try (http) {
            // Split before decoding, so an encoded slash (%2F) stays inside its segment.
            String[] path = decodeSegments(split(http.getRequestURI().getRawPath()));
            Map<String, String> params = new HashMap<>();
            Route match = null;
            List<String> allowed = new ArrayList<>();
            for (Route r : path == null ? List.<Route>of() : routes) {
                params.clear();
                if (!matches(r.segments, path, params)) continue;
                allowed.add(r.method);
                if (r.method.equals(http.getRequestMethod())) {
                    match = r;
                    break;
                }
            }
            List<String> segments = path == null ? null : List.of(path);
            byte[] body;
            try {
                body = Exchange.readBody(http);
            } catch (IOException e) {
                // Broken chunks (HTTP wants a 400), or a client that stopped sending mid-body (it may still listen).
                // The connection cannot carry another request. A write is recorded either way.
                Exchange unread = new Exchange(http, segments, params, new byte[0]);
                try {
                    unread.setHeader("Connection", "close");
                    unread.json(400, error("invalid-body", "the request body cannot be read: " + e.getMessage()));
                } finally {
                    record(unread, null);
                }
                return;
            }
            Exchange exchange = new Exchange(http, segments, params, body);
            String principal = null;
            try {
                // Too large a body is refused before any guard or face: it was not read to its end, so nobody can judge it.
                Admission admission = exchange.bodyTooLarge() ? null : admitted(exchange);
                principal = admission == null ? null : admission.principal();
                if (admission == null) {
                    exchange.json(413, error("body-too-large", "the request body is larger than " + Exchange.MAX_BODY + " bytes"));
                } else if (!admission.admitted()) {
                    admission.headers().forEach(exchange::setHeader);
                    exchange.json(admission.status(), error(admission.code(), admission.message()));
                } else if (match != null) {
                    exchange.route(match.path);
                    match.handler.handle(exchange);
                } else if (!allowed.isEmpty()) {
                    exchange.setHeader("Allow", String.join(", ", allowed));
                    exchange.json(405, error("method-not-allowed", http.getRequestMethod() + " is not allowed here; use " + String.join(", ", allowed)));
                } else {
                    exchange.json(404, error("route-not-found", "no such route: " + http.getRequestURI().getPath()));
                }
            } catch (HangarException e) {
                if (e.kind() == HangarException.Kind.INTERNAL) log.error("{} {} failed", http.getRequestMethod(), http.getRequestURI(), e);
                if (e.kind() == HangarException.Kind.TOO_MANY) exchange.setHeader("Retry-After", RETRY_AFTER_SECONDS);
                exchange.json(status(e.kind()), error(e.code(), e.getMessage()));
            } catch (RuntimeException e) {
                log.error("{} {} failed", http.getRequestMethod(), http.getRequestURI(), e);
                exchange.json(500, error("internal-error", "internal error; the service log has the details"));
            } finally {
                record(exchange, principal);
            }
        } catch (IOException e) {
            log.debug("client went away: {}", e.getMessage());
        }
    }

    /** The guard's answer; a guard that fails refuses the request (a 500 without details), never admits it. */
    private Admission admitted(Exchange exchange) {
        try {
            return guard.admit(exchange);
        } catch (RuntimeException e) {
            log.error("the request guard failed on {} {}", exchange.method(), exchange.path(), e);
            return Admission.refused(500, "internal-error", "internal error; the service log has the details", Map.of());
        }
    }

    private void record(Exchange exchange, String principal) {
        for (Recorder recorder : recorders) {
            try {
                recorder.answered(exchange, principal);
            } catch (RuntimeException e) {
                log.error("recording {} {} failed", exchange.method(), exchange.path(), e);
            }
        }
    }

    static int status(HangarException.Kind kind) {
        return switch (kind) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case UNSUPPORTED_MEDIA -> 415;
            case NOT_ACCEPTABLE -> 406;
            case UNAVAILABLE -> 503;
            case TOO_MANY -> 429;
            case FULL -> 507;
            case INTERNAL -> 500;
        };
    }

    public static Map<String, String> error(String code, String message) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("code", code);
        m.put("message", message);
        return m;
    }

    private static boolean matches(String[] pattern, String[] path, Map<String, String> params) {
        if (pattern.length != path.length) return false;
        for (int i = 0; i < pattern.length; i++) {
            if (pattern[i].startsWith(":")) params.put(pattern[i].substring(1), path[i]);
            else if (!pattern[i].equals(path[i])) return false;
        }
        return true;
    }

    /** Percent-decodes each segment as UTF-8; null for a malformed escape (the path matches nothing). */
    private static String[] decodeSegments(String[] raw) {
        String[] out = new String[raw.length];
        for (int i = 0; i < raw.length; i++) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            String s = raw[i];
            for (int j = 0; j < s.length(); j++) {
                char c = s.charAt(j);
                if (c == '%' && j + 2 < s.length() && isHex(s.charAt(j + 1)) && isHex(s.charAt(j + 2))) {
                    bytes.write(Integer.parseInt(s.substring(j + 1, j + 3), 16));
                    j += 2;
                } else if (c == '%') {
                    return null;
                } else {
                    bytes.writeBytes(String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            out[i] = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
        return out;
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    private static String[] split(String path) {
        return java.util.Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
    }
}
