package dev.hangar.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.hangar.core.HangarException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Map;

/**
 * One request and its answer, as a face handler (and the server's guard) sees it: path parameters,
 * JSON in, JSON out. The body is read once, by the server, before anything looks at it: the guard
 * needs it (form parameters and body hash of a signed request) and so does the handler.
 */
public final class Exchange {
    /** A request body larger than this is refused: no API body of ours comes near it. */
    public static final int MAX_BODY = 1 << 20;

    private final HttpExchange http;
    private final java.util.List<String> segments;
    private final Map<String, String> pathParams;
    /** At most MAX_BODY + 1 bytes: one more than allowed says the body was too large. */
    private final byte[] body;
    private int status;
    private String route;

    Exchange(HttpExchange http, java.util.List<String> segments, Map<String, String> pathParams, byte[] body) {
        this.http = http;
        this.segments = segments;
        this.pathParams = pathParams;
        this.body = body;
    }

    /**
     * Reads the body the way every reader sees it: at most MAX_BODY + 1 bytes. A body that fails to read
     * is left unclosed: closing drains the rest, and the rest of a broken chunked body may never come.
     */
    static byte[] readBody(HttpExchange http) throws IOException {
        InputStream in = http.getRequestBody();
        byte[] body = in.readNBytes(MAX_BODY + 1);
        in.close();
        return body;
    }

    public String pathParam(String name) {
        return pathParams.get(name);
    }

    /** Every value of a query parameter, percent-decoded, in order ({@code ?tag=a=1&tag=b=2}). */
    public java.util.List<String> queryParams(String name) {
        String raw = http.getRequestURI().getRawQuery();
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
        return http.getRequestHeaders().getFirst(name);
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
        return parseObject(HangarException.Kind.UNSUPPORTED_MEDIA, "unsupported-media-type");
    }

    /**
     * The body as a JSON object whatever its Content-Type (clients that send none are common); a body
     * that is missing, too large or not a JSON object is a client error of the given code, 400.
     */
    public JsonNode jsonObject(String code) throws IOException {
        return parseObject(HangarException.Kind.INVALID, code);
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
        return http.getRequestURI().getRawQuery();
    }

    /** The path's segments, percent-decoded, as routes match them; null when the path has a malformed escape. */
    public java.util.List<String> pathSegments() {
        return segments;
    }

    /** https on a TLS listener, else http. */
    public String scheme() {
        return http instanceof com.sun.net.httpserver.HttpsExchange ? "https" : "http";
    }

    /** The Host header as the client sent it, else this listener's address (HTTP/1.0 clients may send none). */
    public String host() {
        String host = header("Host");
        if (host == null || host.isBlank()) {
            var local = http.getLocalAddress();
            host = local.getHostString() + ":" + local.getPort();
        }
        return host;
    }

    /** The client's address, for the audit log. */
    public String remoteAddress() {
        var remote = http.getRemoteAddress();
        return remote.getAddress() != null ? remote.getAddress().getHostAddress() : remote.getHostString();
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
        if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.\\[\\]:_-]+")) {
            var local = http.getLocalAddress();
            host = local.getHostString() + ":" + local.getPort();
        }
        return scheme() + "://" + host;
    }

    /** A file as the body, streamed. */
    public void file(int status, java.nio.file.Path file, String contentType) throws IOException {
        http.getResponseHeaders().set("Content-Type", contentType);
        http.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + file.getFileName() + "\"");
        send(status, java.nio.file.Files.size(file));
        try (OutputStream out = http.getResponseBody()) {
            java.nio.file.Files.copy(file, out);
        }
    }

    /** The request's path, as sent (not decoded). */
    public String path() {
        return http.getRequestURI().getRawPath();
    }

    public String method() {
        return http.getRequestMethod();
    }

    private JsonNode parseObject(HangarException.Kind kind, String code) throws IOException {
        if (bodyTooLarge()) throw new HangarException(kind, code, "the body is larger than " + MAX_BODY + " bytes");
        try {
            JsonNode node = body.length == 0 ? null : Json.MAPPER.readTree(body);
            if (node == null || !node.isObject()) throw new HangarException(kind, code, "the body must be a JSON object");
            return node;
        } catch (JsonProcessingException e) {
            throw new HangarException(kind, code, "the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** Plain text, e.g. a console log. */
    public void text(int status, String body) throws IOException {
        text(status, body, "text/plain; charset=utf-8");
    }

    /** Text of this type, e.g. Prometheus's exposition format. */
    public void text(int status, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        http.getResponseHeaders().set("Content-Type", contentType);
        send(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    public void json(int status, Object body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        http.getResponseHeaders().set("Content-Type", "application/json");
        send(status, bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * Starts a body of unknown length (chunked) of this type, and returns it to be written and flushed as
     * it goes, e.g. Server-Sent Events; closing it ends the response.
     */
    public OutputStream stream(int status, String contentType) throws IOException {
        http.getResponseHeaders().set("Content-Type", contentType);
        http.getResponseHeaders().set("Cache-Control", "no-store");
        send(status, 0);
        return http.getResponseBody();
    }

    public void empty(int status) throws IOException {
        send(status, -1);
        http.close();
    }

    /** Sends the status line and headers, and remembers the status for whoever records the request. */
    private void send(int status, long length) throws IOException {
        this.status = status;
        http.sendResponseHeaders(status, length);
    }

    public void setHeader(String name, String value) {
        http.getResponseHeaders().set(name, value);
    }

    private static HangarException unsupported(String message) {
        return new HangarException(HangarException.Kind.UNSUPPORTED_MEDIA, "unsupported-media-type", message);
    }
}
