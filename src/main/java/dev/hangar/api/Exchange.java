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

/** One request and its answer, as a face handler sees it: path parameters, JSON in, JSON out. */
public final class Exchange {
    /** A request body larger than this is refused: no API body of ours comes near it. */
    static final int MAX_BODY = 1 << 20;

    private final HttpExchange http;
    private final Map<String, String> pathParams;

    Exchange(HttpExchange http, Map<String, String> pathParams) {
        this.http = http;
        this.pathParams = pathParams;
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
        byte[] body;
        try (InputStream in = http.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) throw HangarException.invalid(code, "the body is larger than " + MAX_BODY + " bytes");
        return body;
    }

    /** The scheme and authority the client used, for links in answers ({@code http://host:port}). */
    public String baseUrl() {
        String host = header("Host");
        if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.\\[\\]:_-]+")) {
            var local = http.getLocalAddress();
            host = local.getHostString() + ":" + local.getPort();
        }
        return "http://" + host;
    }

    /** A file as the body, streamed. */
    public void file(int status, java.nio.file.Path file, String contentType) throws IOException {
        http.getResponseHeaders().set("Content-Type", contentType);
        http.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + file.getFileName() + "\"");
        http.sendResponseHeaders(status, java.nio.file.Files.size(file));
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
        byte[] body;
        try (InputStream in = http.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) throw new HangarException(kind, code, "the body is larger than " + MAX_BODY + " bytes");
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
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        http.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        http.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    public void json(int status, Object body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        http.getResponseHeaders().set("Content-Type", "application/json");
        http.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    public void empty(int status) throws IOException {
        http.sendResponseHeaders(status, -1);
        http.close();
    }

    public void setHeader(String name, String value) {
        http.getResponseHeaders().set(name, value);
    }

    private static HangarException unsupported(String message) {
        return new HangarException(HangarException.Kind.UNSUPPORTED_MEDIA, "unsupported-media-type", message);
    }
}
