package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.security.OAuth1Signer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * The CLI's only way to the service: HTTP with JSON. Answers of 4xx and 5xx become a {@link Failure}
 * with the service's error code and message; a service that does not answer becomes one too
 * ({@code unreachable}). When a signer is given, every request is signed (writes must be; Image
 * Factory's reads may have to be, and signing a read costs nothing).
 *
 * <p>Over {@link HttpURLConnection}, not java.net.http.HttpClient: a command lives a second, and the
 * HttpClient's start (its selector thread, HTTP/2 machinery and the default TLS context with every CA
 * certificate, even for http://) cost each command about half a second of CPU more, measured, which a
 * guest booting on the same cores waited for (bench/cli-overhead).
 */
public final class HangarClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Silence on /events longer than this means the stream is dead: the service writes a keepalive every 15 s. */
    private static final Duration EVENTS_SILENCE = Duration.ofSeconds(60);

    static {
        // HttpURLConnection would otherwise send a POST again, once, when a kept-alive connection turns out
        // closed: a second VM. A failed POST is reported instead.
        System.setProperty("sun.net.http.retryPost", "false");
    }

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
    private final SSLContext tls;
    private final OAuth1Signer signer;

    public HangarClient(URI base, SSLContext tls, OAuth1Signer signer) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.tls = tls;
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
        try {
            HttpURLConnection c = open(method, path, body == null ? null : "application/json", bytes, TIMEOUT);
            int status = c.getResponseCode();
            String answer = read(status >= 400 ? c.getErrorStream() : c.getInputStream());
            if (status >= 400) throw failure(status, answer);
            return answer;
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * Reads {@code GET /events?type=...} on the calling thread, handing each event's type and JSON to
     * {@code onEvent}, until the stream ends (or is silent past its keepalives). Calls {@code onOpen}
     * once the stream is open, so a caller can act knowing no later event is missed.
     */
    public void events(List<String> types, Runnable onOpen, BiConsumer<String, JsonNode> onEvent) {
        StringBuilder query = new StringBuilder();
        for (String t : types) query.append(query.isEmpty() ? "?" : "&").append("type=").append(escape(t));
        try {
            HttpURLConnection c = open("GET", "/events" + query, null, new byte[0], EVENTS_SILENCE);
            c.setRequestProperty("Accept", "text/event-stream");
            int status = c.getResponseCode();
            if (status >= 400) throw failure(status, read(c.getErrorStream()));
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                onOpen.run();
                ServerSentEvents.read(lines, onEvent);
            }
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * Opens a WebSocket to {@code path} (ws:// or wss:// of the service), its upgrade signed like any
     * request (with OAuth on, an upgrade counts as a write). A refused upgrade is the service's answer:
     * its status, and the code the service sent when it can be read.
     */
    public java.net.http.WebSocket webSocket(String path, java.net.http.WebSocket.Listener listener) {
        URI http = URI.create(base + path);
        URI ws = URI.create(http.toString().replaceFirst("^http", "ws"));
        java.net.http.HttpClient.Builder client = java.net.http.HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (tls != null) client.sslContext(tls);
        java.net.http.WebSocket.Builder upgrade = client.build().newWebSocketBuilder();
        if (signer != null) upgrade.header("Authorization", signer.authorization("GET", http, null, new byte[0]));
        try {
            return upgrade.buildAsync(ws, listener).get(CONNECT_TIMEOUT.toSeconds() * 2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
                Object body = refused.getResponse().body();
                throw failure(refused.getResponse().statusCode(), body == null ? "" : body.toString());
            }
            throw unreachable(e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
        } catch (java.util.concurrent.TimeoutException e) {
            throw unreachable(new SocketTimeoutException("the WebSocket did not open"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(new IOException("interrupted"));
        }
    }

    /** A connection with the request sent: headers, signature and body. */
    private HttpURLConnection open(String method, String path, String contentType, byte[] body, Duration readTimeout) throws IOException {
        URI uri = URI.create(base + path);
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        if (tls != null && c instanceof HttpsURLConnection https) https.setSSLSocketFactory(tls.getSocketFactory());
        c.setRequestMethod(method);
        c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) readTimeout.toMillis());
        c.setUseCaches(false);
        c.setRequestProperty("Accept", "application/json");
        if (contentType != null) c.setRequestProperty("Content-Type", contentType);
        if (signer != null) c.setRequestProperty("Authorization", signer.authorization(method, uri, contentType, body));
        if (body.length > 0) {
            // Buffered, not streamed (setFixedLengthStreamingMode): a streamed POST answered 401 loses its
            // answer's body, the service's code and message.
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        return c;
    }

    private static String read(InputStream in) throws IOException {
        if (in == null) return "";
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Failure unreachable(IOException e) {
        String why = e instanceof SocketTimeoutException ? "timed out"
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
