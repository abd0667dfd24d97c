package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.security.OAuth1Signer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLContext;

/**
 * The CLI's only way to the service: HTTP with JSON. Answers of 4xx and 5xx become a {@link Failure}
 * with the service's error code and message; a service that does not answer becomes one too
 * ({@code unreachable}). When a signer is given, every request is signed (writes must be; Image
 * Factory's reads may have to be, and signing a read costs nothing).
 */
public final class HangarClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** What the service refused, or why it could not be asked. */
    public static final class Failure extends RuntimeException {
        private final String code;
        private final int status;

        public Failure(int status, String code, String message) {
            super(message);
            this.code = code;
            this.status = status;
        }

        public String code() { return code; }

        public int status() { return status; }
    }

    private final URI base;
    private final HttpClient http;
    private final OAuth1Signer signer;

    public HangarClient(URI base, SSLContext tls, OAuth1Signer signer) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) builder.sslContext(tls);
        this.http = builder.build();
        this.signer = signer;
    }

    public URI base() {
        return base;
    }

    public JsonNode get(String path) {
        return json(send("GET", path, null));
    }

    public String getText(String path) {
        return send("GET", path, null);
    }

    public JsonNode post(String path, JsonNode body) {
        return json(send("POST", path, body));
    }

    public JsonNode put(String path, JsonNode body) {
        return json(send("PUT", path, body));
    }

    public void delete(String path) {
        send("DELETE", path, null);
    }

    /** A path segment or query value, escaped. */
    public static String escape(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private String send(String method, String path, JsonNode body) {
        byte[] bytes = body == null ? new byte[0] : body.toString().getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder request = request(method, path, body == null ? null : "application/json", bytes).timeout(TIMEOUT);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 400) throw failure(response.statusCode(), response.body());
            return response.body();
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(0, "interrupted", "interrupted");
        }
    }

    /**
     * Reads {@code GET /events?type=...} on the calling thread, handing each event's type and JSON to
     * {@code onEvent}, until the stream ends or the thread is interrupted. Returns once the stream is
     * open, through {@code onOpen}, so a caller can act knowing no later event is missed.
     */
    public void events(List<String> types, Runnable onOpen, BiConsumer<String, JsonNode> onEvent) {
        StringBuilder query = new StringBuilder();
        for (String t : types) query.append(query.isEmpty() ? "?" : "&").append("type=").append(escape(t));
        HttpRequest r = request("GET", "/events" + query, null, new byte[0]).header("Accept", "text/event-stream").build();
        try {
            HttpResponse<InputStream> response = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() >= 400) {
                try (InputStream in = response.body()) {
                    throw failure(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                onOpen.run();
                ServerSentEvents.read(lines, onEvent);
            }
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HttpRequest.Builder request(String method, String path, String contentType, byte[] body) {
        URI uri = URI.create(base + path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Accept", "application/json");
        if (contentType != null) b.header("Content-Type", contentType);
        if (signer != null) b.header("Authorization", signer.authorization(method, uri, contentType, body));
        return b;
    }

    private Failure unreachable(IOException e) {
        String why = e instanceof HttpTimeoutException ? "timed out"
                : e instanceof ConnectException ? "connection refused" : String.valueOf(e.getMessage());
        return new Failure(0, "unreachable", "cannot reach Hangar at " + base + ": " + why
                + (e instanceof ConnectException ? " (is `hangar serve` running? --url or HANGAR_URL says where)" : ""));
    }

    /** The service's {"code", "message"}; a body that is not one still reads as something. */
    static Failure failure(int status, String body) {
        try {
            JsonNode error = JSON.readTree(body);
            if (error != null && error.hasNonNull("code")) {
                return new Failure(status, error.get("code").asText(), error.path("message").asText(""));
            }
        } catch (IOException notJson) {
            // fall through
        }
        return new Failure(status, "http-" + status, body == null || body.isBlank() ? "HTTP " + status : body.strip());
    }

    private static JsonNode json(String body) {
        if (body == null || body.isEmpty()) return JSON.nullNode();
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new Failure(0, "invalid-response", "the service answered something that is not JSON: " + e.getMessage());
        }
    }
}
