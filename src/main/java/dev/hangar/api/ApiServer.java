package dev.hangar.api;

import dev.hangar.core.HangarException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server all faces hang their routes on (Jetty's core server, one virtual thread a request;
 * Jetty rather than the JDK's own server because the web console needs WebSockets and a Unix socket).
 * One instance is one listener with its own routes: a TCP address (HTTP or HTTPS) for the APIs, or a
 * Unix socket for the InfraKit plugin. Faces see only {@link Exchange}. Every error leaves in the
 * listener's one error shape ({@code {"code": ..., "message": ...}} unless its {@link ErrorForm} says
 * otherwise): HangarException kinds map to statuses here, once, and so do the requests Jetty refuses
 * before any route sees them; anything unexpected is a 500 internal-error whose details go to the log,
 * not the client.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    /** What answers one route: a face's method (named so it does not shadow Jetty's Handler). */
    @FunctionalInterface
    public interface Endpoint {
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

    /**
     * A guard's answer: admitted (principal may be null: anonymous), or refused with an error to send. A
     * refusal may keep a reason of its own for the audit log (reason), when the client is told less.
     */
    public record Admission(boolean admitted, String principal, int status, String code, String message,
                            Map<String, String> headers, String reason) {
        public static Admission open() {
            return new Admission(true, null, 0, null, null, Map.of(), null);
        }

        public static Admission as(String principal) {
            return new Admission(true, principal, 0, null, null, Map.of(), null);
        }

        public static Admission refused(int status, String code, String message, Map<String, String> headers) {
            return new Admission(false, null, status, code, message, Map.copyOf(headers), null);
        }

        /** The same refusal, with the reason the audit log keeps. */
        public Admission because(String auditReason) {
            return new Admission(admitted, principal, status, code, message, headers, auditReason);
        }
    }

    /**
     * One check a request passes before its route (see {@link Filters}): null passes it on to the next,
     * an answer (admitted, or refused with its error) ends the checks.
     */
    @FunctionalInterface
    public interface Filter {
        Admission check(Exchange exchange);
    }

    /** Answers a failure of this type, raised while a request was handled, in the one error shape. */
    @FunctionalInterface
    public interface ErrorHandler<E extends Exception> {
        void handle(Exchange exchange, E error) throws IOException;
    }

    /**
     * The body of every error this listener sends, from its stable code and message: a protocol with an
     * error shape of its own (InfraKit's {@code {"error": "code: message"}}) gives it here, so its
     * clients can read every refusal, Jetty's own too.
     */
    @FunctionalInterface
    public interface ErrorForm {
        Object body(String code, String message);
    }

    /** Told of every request once it was answered (or failed to be), e.g. the audit log. */
    @FunctionalInterface
    public interface Recorder {
        void answered(Exchange exchange, String principal);

        /** Told when a WebSocket the exchange opened (answered 101) closes: how long it was open, the bytes its client sent. */
        default void webSocketClosed(Exchange exchange, String principal, Duration open, long bytesReceived) { }
    }

    private record Route(String method, String path, String[] segments, Endpoint handler) {}

    /** A registered route as a document names it: its method and its path pattern ({@code /vms/:id}). */
    public record RouteName(String method, String path) {}

    /** What a 429 tells the client to wait before it asks again. */
    static final String RETRY_AFTER_SECONDS = "5";
    /** The protocols a TLS listener offers: nothing older than 1.2. */
    static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** Headers of a request may take this much; OAuth's Authorization header is the largest we expect. */
    static final int MAX_HEADER_BYTES = 16 * 1024;
    /** A WebSocket (a console left open in a browser tab) that carries nothing for this long is closed. */
    static final Duration WEBSOCKET_IDLE = Duration.ofHours(1);

    private final List<Route> routes = new ArrayList<>();
    private Guard guard = exchange -> Admission.open();
    private List<Filter> filters;
    private ErrorForm errorForm = ApiServer::error;
    /** By type; a failure is answered by the handler of its nearest registered supertype. */
    private final Map<Class<? extends Exception>, ErrorHandler<? extends Exception>> errors = new java.util.concurrent.ConcurrentHashMap<>();

    {
        error(HttpRefusal.class, (exchange, e) -> exchange.fail(e.status(), e.code(), e.getMessage()));
        error(HangarException.class, (exchange, e) -> {
            if (e.kind() == HangarException.Kind.INTERNAL) log.error("{} {} failed", exchange.method(), exchange.path(), e);
            if (e.kind() == HangarException.Kind.TOO_MANY) exchange.setHeader("Retry-After", RETRY_AFTER_SECONDS);
            exchange.fail(status(e.kind()), e.code(), dev.hangar.core.RedactedUrl.inText(e.getMessage()));
        });
        error(RuntimeException.class, (exchange, e) -> {
            log.error("{} {} failed", exchange.method(), exchange.path(), e);
            exchange.fail(500, "internal-error", "internal error; the service log has the details");
        });
        // A face's own I/O failed (a file it serves is gone), or the client went away mid-answer: a 500
        // when nothing was sent yet, else the answer is cut short. Never an empty success.
        error(IOException.class, (exchange, e) -> {
            log.warn("{} {} failed: {}", exchange.method(), exchange.path(), e.toString());
            exchange.fail(500, "internal-error", "internal error; the service log has the details");
        });
    }
    private final List<Recorder> recorders = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Server server;
    private ServerConnector connector;
    /** The socket file when this listener is a Unix socket's (removed at close), else null. */
    private java.nio.file.Path socket;
    private ServerWebSocketContainer webSockets;
    private RequestDeadlines deadlines;
    private final List<String> compressedPaths = new ArrayList<>();
    private AllowedHosts hosts = new AllowedHosts(List.of());
    private int connectionsPerSource = 64;
    private int connectionsTotal = 1024;

    /** Sets the guard every request passes last of its checks (default: every request is admitted). */
    public ApiServer guard(Guard guard) {
        this.guard = guard;
        return this;
    }

    /** Sets the shape of this listener's errors (default {@code {"code": ..., "message": ...}}). */
    public ApiServer errorForm(ErrorForm form) {
        this.errorForm = form;
        return this;
    }

    /** Registers how failures of this type are answered (the built-in ones cover the core's and HTTP's). */
    public <E extends Exception> ApiServer error(Class<E> type, ErrorHandler<E> handler) {
        errors.put(type, handler);
        return this;
    }

    /**
     * The names this listener answers to besides its own addresses (and, over loopback, localhost): the
     * operator's {@code hostnames}. A request for any other host is refused 421 misdirected-request.
     */
    public ApiServer hostnames(List<String> names) {
        this.hosts = new AllowedHosts(names);
        return this;
    }

    /**
     * At most perSource connections from one address and total in all (past which the longest idle one
     * is closed; see ConnectionLimits). Set before start.
     */
    public ApiServer connectionLimits(int perSource, int total) {
        this.connectionsPerSource = perSource;
        this.connectionsTotal = total;
        return this;
    }

    /** Adds one more who is told of every answered request (the audit log, the request metrics). */
    public ApiServer recorder(Recorder recorder) {
        recorders.add(recorder);
        return this;
    }

    /**
     * A client has requestTimeout to send a whole request, headers and body (a slow client, one byte a
     * minute, cannot hold a connection); a kept-alive connection idle for idleTimeout is closed.
     * Answers have no time limit: published images may take long to download. Set before start.
     */
    public ApiServer timeouts(Duration requestTimeout, Duration idleTimeout) {
        this.requestTimeout = requestTimeout;
        this.idleTimeout = idleTimeout;
        return this;
    }

    /**
     * Answers under these path specs ({@code /ui/*}) are gzipped for clients that accept it: bundles of
     * text served as they are. Not the API: its answers are small, and a stream of events must not wait
     * in a compressor's buffer. Set before start.
     */
    public ApiServer compress(String... pathSpecs) {
        compressedPaths.addAll(List.of(pathSpecs));
        return this;
    }

    /** Adds a route; a path segment written {@code :name} matches any one segment and is captured. */
    public ApiServer route(String method, String path, Endpoint handler) {
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
        HttpConfiguration config = newServer(Filters.chain(guard));
        if (tls == null) {
            connector = new ServerConnector(server, deadlines);
        } else {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setSslContext(tls);
            ssl.setIncludeProtocols(TLS_PROTOCOLS);
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            // Clients reach a self-signed listener by address as often as by name; the certificate is theirs to check.
            secure.setSniHostCheck(false);
            config.addCustomizer(secure);
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), deadlines);
        }
        connector.setHost(address.getHostString());
        connector.setPort(address.getPort());
        connector.setAcceptQueueSize(128);
        connector.setIdleTimeout(idleTimeout.toMillis());
        connector.addEventListener(new ConnectionLimits(connectionsPerSource, connectionsTotal));
        server.addConnector(connector);
        startServer(address.getHostString() + ":" + address.getPort());
    }

    /**
     * Starts on a Unix socket at this path, made 0660 (whoever may talk to it may make and destroy VMs);
     * a stale socket file there (nobody answers on it) is replaced, and the file is removed at close.
     * The socket file's mode is its access control: there are no hosts to name and no browser pages to
     * come from, so only the body cap and the guard stand before the routes.
     */
    public void start(java.nio.file.Path socketPath) throws IOException {
        java.nio.file.Path path = socketPath.toAbsolutePath();
        SocketFile.prepare(path);
        newServer(Filters.forSocket(guard));
        UnixDomainServerConnector unix = new UnixDomainServerConnector(server, deadlines);
        unix.setUnixDomainPath(path);
        unix.setIdleTimeout(idleTimeout.toMillis());
        server.addConnector(unix);
        startServer(path.toString());
        socket = path;
        java.nio.file.Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
    }

    /** The Unix socket this listener serves, or null when it listens on TCP. */
    public java.nio.file.Path socket() {
        return socket;
    }

    private HttpConfiguration newServer(List<Filter> filters) {
        this.filters = filters;
        server = new Server(new VirtualThreadPool());
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setRequestHeaderSize(MAX_HEADER_BYTES);
        // Routes split the raw path before decoding, so an encoded slash stays inside its segment: the
        // ambiguities Jetty refuses by default (%2F, %2E) are safe here, and clients do send names with them.
        config.setUriCompliance(UriCompliance.LEGACY);
        deadlines = new RequestDeadlines(config, requestTimeout);
        return config;
    }

    private void startServer(String where) throws IOException {
        webSockets = ServerWebSocketContainer.ensure(server);
        webSockets.setIdleTimeout(WEBSOCKET_IDLE);
        org.eclipse.jetty.server.Handler routes = new org.eclipse.jetty.server.Handler.Abstract(
                org.eclipse.jetty.util.thread.Invocable.InvocationType.BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                dispatch(request, response, callback);
                return true;
            }
        };
        if (compressedPaths.isEmpty()) {
            server.setHandler(routes);
        } else {
            GzipHandler gzip = new GzipHandler(routes);
            gzip.setIncludedPaths(compressedPaths.toArray(String[]::new));
            server.setHandler(gzip);
        }
        server.setErrorHandler(new Refusals(errorForm));
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw new IOException("cannot listen on " + where + ": " + e.getMessage(), e);
        }
    }

    /** Whether this listener speaks TLS. */
    public boolean secure() {
        return connector != null && connector.getDefaultProtocol().startsWith("SSL");
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost(), connector.getLocalPort());
    }

    /**
     * One request, in named steps: the route it names, its body read whole, the filters, then its route
     * (or 405, 404), every failure answered by its error handler, and the request recorded; once
     * answered, the work it left for after the answer runs.
     */
    private void dispatch(Request request, Response response, Callback callback) {
        Exchange exchange = null;
        try {
            // Split before decoding, so an encoded slash (%2F) stays inside its segment.
            String[] path = decodeSegments(split(request.getHttpURI().getPath()));
            RouteMatch match = match(request.getMethod(), path);
            List<String> segments = path == null ? null : List.of(path);
            byte[] body;
            try {
                body = Exchange.readBody(request);
            } catch (IOException | RuntimeException e) {
                exchange = listened(new Exchange(request, response, callback, webSockets, segments, match.params(), new byte[0]));
                refuseUnreadable(exchange, e);
                return;
            }
            deadlines.bodyRead(request);
            exchange = listened(new Exchange(request, response, callback, webSockets, segments, match.params(), body));
            String principal = null;
            try {
                Admission admission = admit(exchange);
                principal = admission.principal();
                if (admission.admitted()) answer(exchange, match);
                else refuse(exchange, admission);
            } catch (IOException | RuntimeException e) {
                answer(exchange, e);
            } finally {
                record(exchange, principal);
            }
        } catch (IOException e) {
            log.debug("client went away: {}", e.getMessage());
            if (exchange != null) exchange.abort();
        } finally {
            if (exchange == null) {
                callback.failed(new IOException("the request could not be read"));
            } else {
                if (!exchange.upgraded()) deadlines.answered(request);
                exchange.complete();
                exchange.runAfterAnswer();
            }
        }
    }

    /** The route a request names: the one of its method (a GET's for HEAD), and every method its path allows. */
    private record RouteMatch(Route route, Map<String, String> params, List<String> allowed) {}

    private RouteMatch match(String method, String[] path) {
        Map<String, String> params = new HashMap<>();
        List<String> allowed = new ArrayList<>();
        for (Route r : path == null ? List.<Route>of() : routes) {
            params.clear();
            if (!matches(r.segments, path, params)) continue;
            allowed.add(r.method);
            if (r.method.equals("GET")) allowed.add("HEAD");
            // HEAD is GET without the body (RFC 9110 §9.3.2): every read answers it; Jetty sends no body.
            if (r.method.equals(method) || (r.method.equals("GET") && method.equals("HEAD"))) return new RouteMatch(r, params, allowed);
        }
        return new RouteMatch(null, Map.of(), allowed);
    }

    private Exchange listened(Exchange exchange) {
        exchange.listener(hosts, errorForm);
        return exchange;
    }

    /**
     * Broken chunks (HTTP wants a 400), or a client that stopped sending mid-body (it may still listen):
     * the connection cannot carry another request. A write is recorded either way.
     */
    private void refuseUnreadable(Exchange exchange, Exception e) throws IOException {
        try {
            exchange.setHeader("Connection", "close");
            exchange.fail(400, "invalid-body", "the request body cannot be read: " + e.getMessage());
        } finally {
            record(exchange, null);
        }
    }

    /** The filters' answer (the first that answers ends them); an admitted exchange learns who sent it. */
    private Admission admit(Exchange exchange) {
        Admission admission = null;
        for (Filter filter : filters) {
            admission = filter.check(exchange);
            if (admission != null) break;
        }
        if (admission.admitted()) {
            String who = admission.principal();
            exchange.admitted(exchange.isWebSocketUpgrade(), who);
            exchange.onWebSocketClosed((open, bytes) -> webSocketClosed(exchange, who, open, bytes));
        }
        return admission;
    }

    private static void refuse(Exchange exchange, Admission admission) throws IOException {
        exchange.refusedBecause(admission.reason() != null ? admission.reason() : admission.code());
        admission.headers().forEach(exchange::setHeader);
        exchange.fail(admission.status(), admission.code(), admission.message());
    }

    /** The route's answer; else 405 with what the path allows, or 404. */
    private static void answer(Exchange exchange, RouteMatch match) throws IOException {
        if (match.route() != null) {
            exchange.route(match.route().path);
            match.route().handler.handle(exchange);
        } else if (!match.allowed().isEmpty()) {
            exchange.setHeader("Allow", String.join(", ", match.allowed()));
            exchange.fail(405, "method-not-allowed", exchange.method() + " is not allowed here; use " + String.join(", ", match.allowed()));
        } else {
            exchange.fail(404, "route-not-found", "no such route: " + exchange.decodedPath());
        }
    }

    private void webSocketClosed(Exchange exchange, String principal, Duration open, long bytes) {
        for (Recorder recorder : recorders) {
            try {
                recorder.webSocketClosed(exchange, principal, open, bytes);
            } catch (RuntimeException e) {
                log.error("recording the close of a WebSocket on {} failed", exchange.path(), e);
            }
        }
    }

    /** Answers a failure by the handler of its nearest registered supertype. */
    @SuppressWarnings("unchecked")
    private <E extends Exception> void answer(Exchange exchange, E failure) throws IOException {
        for (Class<?> type = failure.getClass(); type != null && Exception.class.isAssignableFrom(type); type = type.getSuperclass()) {
            ErrorHandler<E> handler = (ErrorHandler<E>) errors.get(type);
            if (handler != null) {
                handler.handle(exchange, failure);
                return;
            }
        }
        exchange.fail(500, "internal-error", "internal error; the service log has the details");
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
        if (server == null) return;
        try {
            server.stop();
        } catch (Exception e) {
            log.debug("stopping the listener: {}", e.getMessage());
        }
        if (socket != null) {
            try {
                java.nio.file.Files.deleteIfExists(socket);
            } catch (IOException e) {
                log.warn("could not remove {}: {}", socket, e.getMessage());
            }
        }
    }

    /** Requests Jetty refuses before any route sees them (a bad request line, headers too large, ...), in the listener's error shape. */
    private static final class Refusals extends org.eclipse.jetty.server.handler.ErrorHandler {
        private final ErrorForm form;

        Refusals(ErrorForm form) {
            this.form = form;
        }

        @Override
        protected void generateResponse(Request request, Response response, int status, String message, Throwable cause,
                                        Callback callback) {
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, java.nio.ByteBuffer.wrap(body(status, message)), callback);
        }

        @Override
        public java.nio.ByteBuffer badMessageError(int status, String message, org.eclipse.jetty.http.HttpFields.Mutable fields) {
            fields.put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            return java.nio.ByteBuffer.wrap(body(status, message));
        }

        private byte[] body(int status, String message) {
            // A 5xx of Jetty's own may carry an exception's text: that is for the log, not the client.
            String reason = status >= 500 && status != 501 && status != 505 ? "internal error; the service log has the details"
                    : message == null || message.isBlank() ? org.eclipse.jetty.http.HttpStatus.getMessage(status) : message;
            try {
                return Json.MAPPER.writeValueAsBytes(form.body(refusalCode(status), reason));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The stable code of a request refused by the HTTP layer itself. */
    static String refusalCode(int status) {
        return switch (status) {
            case 400 -> "invalid-request";
            case 408 -> "request-timeout";
            case 413 -> "body-too-large";
            case 414 -> "uri-too-long";
            case 431 -> "headers-too-large";
            case 501 -> "not-implemented";
            case 505 -> "http-version-not-supported";
            default -> status >= 500 ? "internal-error" : "invalid-request";
        };
    }
}
