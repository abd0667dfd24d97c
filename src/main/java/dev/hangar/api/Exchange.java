package dev.hangar.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.HangarException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.content.HttpContent;
import org.eclipse.jetty.http.content.ResourceHttpContent;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ResourceService;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * One request and its answer, as a face handler (and the server's guard) sees it: path parameters,
 * JSON in, JSON out. The body is read once, by the server, before anything looks at it: the guard
 * needs it (form parameters and body hash of a signed request) and so does the handler.
 */
public final class Exchange {
    /** A request body larger than this is refused: no API body of ours comes near it. */
    public static final int MAX_BODY = 1 << 20;

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final ServerWebSocketContainer webSockets;
    private final java.util.List<String> segments;
    private final Map<String, String> pathParams;
    /** At most MAX_BODY + 1 bytes: one more than allowed says the body was too large. */
    private final byte[] body;
    private int status;
    private String route;
    /** The body being written, once one was started; closing it ends the answer. */
    private OutputStream out;
    /** Set when the connection became a WebSocket: Jetty, not this exchange, ends the request then. */
    private boolean upgraded;
    private boolean broken;
    /** The answer was Jetty's resource service's (a file): it is complete, nothing more is written. */
    private boolean servedByJetty;
    /** Why the guard refused the exchange, for the audit log (it may say more than the client was told). */
    private String refusalReason;
    /** Who the guard said sent it (an OAuth client, the client of a console session), or null; when someone
     * did, a form body is read as the signature covered it. */
    private String principal;
    /** The names this listener answers to (set by the server before any guard or face sees the exchange). */
    private AllowedHosts hosts = new AllowedHosts(java.util.List.of());
    private ApiServer.ErrorForm errorForm = ApiServer::error;
    private final List<Runnable> afterAnswer = new java.util.ArrayList<>();
    /** Whether the guard admitted this exchange as the WebSocket upgrade it asks for (see {@link #webSocket}). */
    private boolean admittedAsUpgrade;
    /** Told when a WebSocket this exchange opened closes: how long it was open, how many bytes its client sent. */
    private java.util.function.BiConsumer<java.time.Duration, Long> webSocketClosed = (open, bytes) -> { };

    Exchange(Request request, Response response, Callback callback, ServerWebSocketContainer webSockets,
             java.util.List<String> segments, Map<String, String> pathParams, byte[] body) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.webSockets = webSockets;
        this.segments = segments;
        this.pathParams = pathParams;
        this.body = body;
    }

    /**
     * Reads the body the way every reader sees it: at most MAX_BODY + 1 bytes. A body that fails to read
     * is left unclosed: closing drains the rest, and the rest of a broken chunked body may never come.
     */
    static byte[] readBody(Request request) throws IOException {
        InputStream in = Content.Source.asInputStream(request);
        return in.readNBytes(MAX_BODY + 1);
    }

    public String pathParam(String name) {
        return pathParams.get(name);
    }

    /** Every value of a query parameter, percent-decoded, in order ({@code ?tag=a=1&tag=b=2}). */
    public java.util.List<String> queryParams(String name) {
        String raw = request.getHttpURI().getQuery();
        java.util.List<String> out = new java.util.ArrayList<>();
        if (raw == null) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (key.equals(name)) out.add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HangarException.invalid("invalid-query", "malformed percent-escape in the query: " + s);
        }
    }

    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /**
     * The body as a JSON object; 415 unsupported-media-type when it is not application/json or does not
     * parse (the OS X Builder's answer to a bad body).
     */
    public JsonNode jsonBody() throws IOException {
        String type = header("Content-Type");
        // curl -d sends application/x-www-form-urlencoded by default; the seed's own example does just that,
        // so a missing or form type is accepted when the body parses as JSON. Any other declared type is refused.
        if (type != null) {
            String t = type.toLowerCase(Locale.ROOT);
            if (!t.startsWith("application/json") && !t.startsWith("application/x-www-form-urlencoded")) {
                throw unsupported("the body must be application/json, not " + type);
            }
        }
        return parseObject(HttpRefusal::unsupportedMedia);
    }

    /**
     * The body as a JSON object whatever its Content-Type (clients that send none are common); a body
     * that is missing, too large or not a JSON object is a client error of the given code, 400.
     */
    public JsonNode jsonObject(String code) throws IOException {
        return parseObject(message -> HangarException.invalid(code, message));
    }

    /** The body's bytes, at most {@link #MAX_BODY}; larger is a client error of the given code. */
    public byte[] bodyBytes(String code) throws IOException {
        if (bodyTooLarge()) throw HangarException.invalid(code, "the body is larger than " + MAX_BODY + " bytes");
        return body;
    }

    /** True when the body is over {@link #MAX_BODY}: it was not read to its end, and every reader refuses it. */
    public boolean bodyTooLarge() {
        return body.length > MAX_BODY;
    }

    /** The body as read (empty when there is none); check {@link #bodyTooLarge()} first. */
    public byte[] rawBody() {
        return body.clone();
    }

    /** The query as sent (not decoded), or null. */
    public String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** The path's segments, percent-decoded, as routes match them; null when the path has a malformed escape. */
    public java.util.List<String> pathSegments() {
        return segments;
    }

    /** https on a TLS listener, else http. */
    public String scheme() {
        return request.isSecure() ? "https" : "http";
    }

    /** The Host header as the client sent it, else this listener's address (HTTP/1.0 clients may send none). */
    public String host() {
        String host = header("Host");
        if (host == null || host.isBlank()) host = localAuthority();
        return host;
    }

    /** The client's address, for the audit log. */
    public String remoteAddress() {
        return Request.getRemoteAddr(request);
    }

    /** The status this exchange answered with; 0 while (or if) none was sent. */
    /** The route this request matched, as it was registered ("/vms/:id"); null when it matched none. */
    public String route() {
        return route;
    }

    void route(String pattern) {
        this.route = pattern;
    }

    public int status() {
        return status;
    }

    /** The scheme and authority the client used, for links in answers ({@code http://host:port}). */
    public String baseUrl() {
        String host = header("Host");
        if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.\\[\\]:_-]+")) host = localAuthority();
        return scheme() + "://" + host;
    }

    /** This listener's own address and port, as a Host header would name it. */
    private String localAuthority() {
        String address = Request.getLocalAddr(request);
        return (address.contains(":") ? "[" + address + "]" : address) + ":" + Request.getLocalPort(request);
    }

    /**
     * A file as the body, served by Jetty's resource service: HEAD, a byte {@code Range} (so a large
     * download resumes: 206, or 416 past the end), an {@code ETag} with {@code If-None-Match} (304) and
     * {@code If-Range}. Returns once the file is sent.
     */
    public void file(java.nio.file.Path file, String contentType) throws IOException {
        if (out != null || response.isCommitted()) throw new IOException("the answer was already started");
        if (!java.nio.file.Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        setHeader("Content-Disposition", "attachment; filename=\"" + file.getFileName() + "\"");
        HttpContent content = new ResourceHttpContent(ResourceFactory.root().newResource(file), contentType);
        Callback.Completable sent = new Callback.Completable();
        servedByJetty = true;
        FILES.doGet(request, response, sent, content);
        try {
            sent.get();
        } catch (java.util.concurrent.ExecutionException e) {
            broken = true;
            throw new IOException("sending " + file.getFileName() + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broken = true;
            throw new IOException("interrupted while sending " + file.getFileName(), e);
        } finally {
            status = response.getStatus();
        }
    }

    /** The files the faces serve: ranges and ETags on, no directory listings. */
    private static final ResourceService FILES = files();

    private static ResourceService files() {
        ResourceService files = new ResourceService();
        files.setAcceptRanges(true);
        files.setEtags(true);
        files.setDirAllowed(false);
        return files;
    }

    /** The request's path, as sent (not decoded). */
    public String path() {
        return request.getHttpURI().getPath();
    }

    public String method() {
        return request.getMethod();
    }

    /** The path, percent-decoded, as an error message shows it. */
    String decodedPath() {
        return request.getHttpURI().getDecodedPath();
    }

    /** Not one of the safe methods (RFC 9110 §9.2.1): anything else, known or not, counts as a write. */
    public boolean isWrite() {
        String m = method();
        return !(m.equals("GET") || m.equals("HEAD") || m.equals("OPTIONS") || m.equals("TRACE"));
    }

    /**
     * A request to switch to the WebSocket protocol (RFC 6455 §4.1): {@code websocket} among the tokens of
     * any of its {@code Upgrade} headers, in any case, whatever {@code Connection} says. The one answer
     * the server, the guard and the audit log all ask for, and wider than any server's own test: a
     * request Jetty would upgrade is never taken for a plain read ({@code Upgrade: h2c} followed by
     * {@code Upgrade: websocket} is an upgrade).
     */
    public boolean isWebSocketUpgrade() {
        for (String value : request.getHeaders().getValuesList("Upgrade")) {
            for (String token : value.split(",")) {
                String protocol = token.strip();
                int version = protocol.indexOf('/');
                if (version >= 0) protocol = protocol.substring(0, version).strip();
                if (protocol.equalsIgnoreCase("websocket")) return true;
            }
        }
        return false;
    }

    /** Set by the server before any filter: the hosts its listener answers to, and the shape of its errors. */
    void listener(AllowedHosts hosts, ApiServer.ErrorForm errorForm) {
        this.hosts = hosts;
        this.errorForm = errorForm;
    }

    /**
     * Whether the request names a host this listener does not answer to (see {@link AllowedHosts}): any
     * of its {@code Host} headers, or the authority of an absolute request target. An HTTP/1.0 request
     * without a Host is for whoever it reached, as HTTP/1.0 has it.
     */
    boolean misdirected() {
        String local = Request.getLocalAddr(request);
        for (String host : request.getHeaders().getValuesList("Host")) {
            if (!hosts.allows(host, local)) return true;
        }
        String uriHost = request.getHttpURI().getHost();
        boolean absoluteTarget = request.getHttpURI().isAbsolute();
        return absoluteTarget && uriHost != null && !hosts.allows(uriHost, local);
    }

    /**
     * Whether a browser's {@code Origin} names a page of this service: this scheme, a host this listener
     * answers to, and the port the request came to. The request's own {@code Host} is never the
     * measure: a rebinding page sets it. False when there is no Origin.
     */
    public boolean originIsOwn() {
        String origin = header("Origin");
        if (origin == null) return false;
        java.net.URI uri;
        try {
            uri = new java.net.URI(origin.strip());
        } catch (java.net.URISyntaxException e) {
            return false;
        }
        if (uri.getScheme() == null || uri.getHost() == null || !uri.getScheme().equalsIgnoreCase(scheme())) return false;
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getRawUserInfo() != null) return false;
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme().equals("https") ? 443 : 80;
        return port == Request.getLocalPort(request) && hosts.allows(uri.getHost(), Request.getLocalAddr(request));
    }

    /** A browser's write or WebSocket sent by a page of another origin (a request with an Origin not its own). */
    boolean fromForeignOrigin() {
        return header("Origin") != null && (isWrite() || isWebSocketUpgrade()) && !originIsOwn();
    }

    /**
     * Set by the server once the guard admitted the exchange: whether it was judged as a WebSocket
     * upgrade, and whether someone stands behind it (a signature or a session).
     */
    void admitted(boolean asUpgrade, String principal) {
        this.admittedAsUpgrade = asUpgrade;
        this.principal = principal;
    }

    /** Who the guard said sent this request: an OAuth client's key (a console session's too), or null when nobody signed. */
    public String principal() {
        return principal;
    }

    void refusedBecause(String reason) {
        this.refusalReason = reason;
    }

    /** Why the guard refused this exchange (its own word, which the client may not have seen), or null. */
    public String refusalReason() {
        return refusalReason;
    }

    void onWebSocketClosed(java.util.function.BiConsumer<java.time.Duration, Long> listener) {
        this.webSocketClosed = listener;
    }

    /** The body as a JSON object; what is not one is the failure made of its reason. */
    private JsonNode parseObject(java.util.function.Function<String, RuntimeException> failure) throws IOException {
        if (bodyTooLarge()) throw failure.apply("the body is larger than " + MAX_BODY + " bytes");
        byte[] json = principal != null && isForm() ? formDecoded(body) : body;
        try {
            JsonNode node = json.length == 0 ? null : Json.MAPPER.readTree(json);
            if (node == null || !node.isObject()) throw failure.apply("the body must be a JSON object");
            return node;
        } catch (JsonProcessingException e) {
            throw failure.apply("the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private boolean isForm() {
        String type = header("Content-Type");
        if (type == null) return false;
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).strip().equalsIgnoreCase("application/x-www-form-urlencoded");
    }

    /**
     * A form body as its signature covered it: each {@code name=value} pair decoded (%XX, '+' as a space)
     * and joined again, as OAuth's verifier read the parameters it checked (RFC 5849 §3.4.1.3.1). JSON
     * sent with a form type (curl -d) is read from this, never from the raw bytes: two bodies that decode
     * alike carry one signature, so only what they decode to may be acted on.
     */
    static byte[] formDecoded(byte[] body) {
        StringBuilder out = new StringBuilder();
        for (String pair : new String(body, java.nio.charset.StandardCharsets.UTF_8).split("&")) {
            if (pair.isEmpty()) continue;
            if (!out.isEmpty()) out.append('&');
            int eq = pair.indexOf('=');
            try {
                out.append(java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8));
                if (eq >= 0) out.append('=').append(java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw HangarException.invalid("invalid-body", "malformed percent-escape in the form body");
            }
        }
        return out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Plain text, e.g. a console log. */
    public void text(int status, String body) throws IOException {
        text(status, body, "text/plain; charset=utf-8");
    }

    /** Text of this type, e.g. Prometheus's exposition format. */
    public void text(int status, String body, String contentType) throws IOException {
        bytes(status, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), contentType);
    }

    public void json(int status, Object body) throws IOException {
        bytes(status, Json.MAPPER.writeValueAsBytes(body), "application/json");
    }

    /** These bytes as the body, of this type (a file of the web console's bundle, say). */
    public void bytes(int status, byte[] bytes, String contentType) throws IOException {
        setHeader("Content-Type", contentType);
        try (OutputStream body = send(status, bytes.length)) {
            body.write(bytes);
        }
    }

    /**
     * Starts a body of unknown length (chunked) of this type, and returns it to be written and flushed as
     * it goes, e.g. Server-Sent Events; closing it ends the response.
     */
    public OutputStream stream(int status, String contentType) throws IOException {
        setHeader("Content-Type", contentType);
        setHeader("Cache-Control", "no-store");
        return send(status, -1);
    }

    public void empty(int status) throws IOException {
        send(status, 0).close();
    }

    /**
     * Turns this request into a WebSocket that the endpoint serves (it accepts the subprotocol
     * "binary" when the client offers it, as noVNC does). A request that is not a WebSocket upgrade is
     * answered 426 websocket-required, and the endpoint is told it closed without ever opening.
     */
    public void webSocket(WebSocketEndpoint endpoint) throws IOException {
        if (!isWebSocketUpgrade()) {
            endpoint.closed();
            setHeader("Upgrade", "websocket");
            json(426, errorForm.body("websocket-required", "this route speaks WebSocket only: send an upgrade request"));
            return;
        }
        if (!admittedAsUpgrade) {
            // Checked again here, so that no spelling of the headers can reach a socket the guard judged as a read.
            endpoint.closed();
            json(403, errorForm.body("websocket-not-admitted", "this request was not admitted as a WebSocket upgrade"));
            return;
        }
        WebSocketEndpoint audited = new AuditedEndpoint(endpoint, webSocketClosed);
        boolean done;
        try {
            done = webSockets.upgrade((upgradeRequest, upgradeResponse, cb) -> {
                if (upgradeRequest.hasSubProtocol("binary")) upgradeResponse.setAcceptedSubProtocol("binary");
                return new JettyWebSocket(audited);
            }, request, response, callback);
        } catch (RuntimeException e) {
            endpoint.closed();
            throw e;
        }
        if (done) {
            upgraded = true;
            status = 101;
            return;
        }
        endpoint.closed();
        setHeader("Upgrade", "websocket");
        json(426, errorForm.body("websocket-required", "this route speaks WebSocket only: send an upgrade request"));
    }

    /**
     * Answers an error in the listener's error shape (see {@link ApiServer.ErrorForm}): what an error
     * handler or a filter's refusal sends. When the answer had already begun, the only honest thing left
     * is to cut it short (the client sees a broken answer, not a success).
     */
    public void fail(int status, String code, String message) throws IOException {
        if (upgraded) return;
        if (out != null || servedByJetty || response.isCommitted()) {
            broken = true;
            return;
        }
        response.getHeaders().remove("Content-Length");
        response.getHeaders().remove("Content-Disposition");
        json(status, errorForm.body(code, message));
    }

    /** The answer cannot be finished (the client went away mid-answer): it ends cut short, never as a success. */
    void abort() {
        broken = true;
    }

    /** Whether the connection became a WebSocket. */
    boolean upgraded() {
        return upgraded;
    }

    /** Ends the exchange: the answer is finished (or cut short), unless the connection is a WebSocket now. */
    /**
     * Runs what is given to it once this request has been answered (or failed), on the request's thread:
     * work the request began (a VM's creation job) then does not compete with its own answer for the CPU.
     */
    public java.util.concurrent.Executor afterAnswer() {
        return afterAnswer::add;
    }

    /** Runs what {@link #afterAnswer()} was given; called by the server once the answer is complete. */
    void runAfterAnswer() {
        for (Runnable task : afterAnswer) {
            try {
                task.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Exchange.class).error("work after the answer to {} {} failed", method(), path(), e);
            }
        }
        afterAnswer.clear();
    }

    void complete() {
        if (upgraded) return;
        try {
            if (broken) {
                callback.failed(new IOException("the answer was cut short"));
                return;
            }
            if (servedByJetty) {
                callback.succeeded();
                return;
            }
            if (out == null) {
                // Nobody answered (an Error escaped a face): Jetty answers 500, never an empty success.
                callback.failed(new IllegalStateException("the request was left unanswered"));
                return;
            }
            out.close();
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
        }
    }

    /** Sends the status and headers (a length of -1: unknown, chunked), and returns the body to write. */
    private OutputStream send(int status, long length) throws IOException {
        if (out != null) throw new IOException("the answer was already started");
        this.status = status;
        response.setStatus(status);
        if (length >= 0 && status != 204 && status != 304) response.getHeaders().put("Content-Length", length);
        out = new ClosesOnce(Content.Sink.asOutputStream(response));
        return out;
    }

    public void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /** The response body: closing it ends the answer, once, however many times it is closed (a face, then complete()). */
    private static final class ClosesOnce extends java.io.FilterOutputStream {
        private boolean closed;

        ClosesOnce(OutputStream body) {
            super(body);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (closed) return;
            closed = true;
            out.close();
        }
    }

    private static HttpRefusal unsupported(String message) {
        return HttpRefusal.unsupportedMedia(message);
    }
}
