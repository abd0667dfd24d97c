package dev.hangar.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.HangarException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every error leaves in one shape, {"code", "message"}, with the status its kind maps to. */
class ApiServerTest {
    private final ApiServer server = new ApiServer();
    private final HttpClient http = HttpClient.newHttpClient();
    private String base;
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;
    private java.nio.file.Path file;

    @BeforeEach
    void start() throws Exception {
        file = java.nio.file.Files.writeString(dir.resolve("image.qcow2"), "0123456789abcdef");
        server.route("GET", "/things/:id", ex -> {
            switch (ex.pathParam("id")) {
                case "missing" -> throw new HangarException(HangarException.Kind.NOT_FOUND, "thing-not-found", "no such thing");
                case "locked" -> throw new HangarException(HangarException.Kind.CONFLICT, "vm-open-error", "locked");
                case "boom" -> throw new IllegalStateException("secret internals");
                case "busy" -> throw new HangarException(HangarException.Kind.TOO_MANY, "too-many-creates", "busy");
                case "full" -> throw new HangarException(HangarException.Kind.FULL, "vm-limit-reached", "full");
                default -> ex.json(200, Map.of("id", ex.pathParam("id")));
            }
        });
        server.route("POST", "/things", ex -> ex.json(202, ex.jsonBody()));
        server.route("POST", "/plain", ex -> ex.json(201, ex.jsonObject("invalid-json")));
        server.route("GET", "/echo/ws", ex -> ex.webSocket(new Echo()));
        server.route("GET", "/gone-file", ex -> ex.file(java.nio.file.Path.of("/nonexistent/hangar-test"), "application/octet-stream"));
        server.route("GET", "/file", ex -> ex.file(file, "application/octet-stream"));
        server.route("GET", "/arg", ex -> {
            throw new IllegalArgumentException("an argument of its own");
        });
        server.error(IllegalArgumentException.class, (ex, e) -> ex.fail(400, "bad-argument", e.getMessage()));
        server.route("GET", "/stream", ex -> {
            try (java.io.OutputStream out = ex.stream(200, "text/event-stream")) {
                out.write("data: one\n\n".getBytes());
                out.flush();
                out.write("data: two\n\n".getBytes());
            }
        });
        server.timeouts(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(30));
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        return Json.MAPPER.readTree(r.body());
    }

    /** Sends bytes as they are and reads one answer (head and a body of its Content-Length); fails after 5 s. */
    private String raw(String request) throws Exception {
        return raw(server, request);
    }

    private static String raw(ApiServer to, String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", to.address().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            java.io.InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) return head.toString();
                head.append((char) c);
            }
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
            int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
            return head + new String(in.readNBytes(n), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void aBrokenChunkedBodyIsAnswered400NotLeftWaitingForever() throws Exception {
        // Found by the fuzz suite: the JDK's server drained the broken body and waited forever for its end, unanswered.
        for (String chunks : new String[] {"zz\r\n\r\n", "1 0\r\n\r\n", "fffffffffffffffff\r\n\r\n", "1\r\nx0\r\n\r\n"}) {
            String answer = raw("POST /things HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);

            assertEquals("HTTP/1.1 400 Bad Request", answer.lines().findFirst().orElse(""), chunks);
            assertEquals(true, answer.contains("\"code\":\"invalid-body\""), answer);
        }
    }

    @Test
    void listsItsRoutesInTheOrderTheyMatch() {
        assertEquals(java.util.List.of(new ApiServer.RouteName("GET", "/things/:id"), new ApiServer.RouteName("POST", "/things"),
                new ApiServer.RouteName("POST", "/plain"), new ApiServer.RouteName("GET", "/echo/ws"),
                new ApiServer.RouteName("GET", "/gone-file"), new ApiServer.RouteName("GET", "/file"), new ApiServer.RouteName("GET", "/arg"),
                new ApiServer.RouteName("GET", "/stream")),
                server.routes());
    }

    /** Sends every message back, upper-cased, as a binary message. */
    private static final class Echo implements WebSocketEndpoint {
        private volatile WebSocketPeer peer;
        @Override public void opened(WebSocketPeer peer) { this.peer = peer; }
        @Override public void received(byte[] message) {
            try {
                peer.send(new String(message, java.nio.charset.StandardCharsets.UTF_8).toUpperCase().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        @Override public void closed() { }
    }

    @Test
    void aRouteMayTurnItsRequestIntoAWebSocket() throws Exception {
        java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        java.net.http.WebSocket ws = http.newWebSocketBuilder().subprotocols("binary")
                .buildAsync(URI.create("ws://127.0.0.1:" + server.address().getPort() + "/echo/ws"), new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onBinary(java.net.http.WebSocket w, java.nio.ByteBuffer data, boolean last) {
                        byte[] b = new byte[data.remaining()];
                        data.get(b);
                        got.add(new String(b, java.nio.charset.StandardCharsets.UTF_8));
                        w.request(1);
                        return null;
                    }
                }).get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("binary", ws.getSubprotocol(), "noVNC offers the subprotocol binary; it is accepted");
        ws.sendText("hello", true).get(5, java.util.concurrent.TimeUnit.SECONDS);
        ws.sendBinary(java.nio.ByteBuffer.wrap("bytes".getBytes()), true).get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("HELLO", got.poll(5, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("BYTES", got.poll(5, java.util.concurrent.TimeUnit.SECONDS));
        ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void aWebSocketRouteAskedWithoutAnUpgradeIs426() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/echo/ws")));
        assertEquals(426, r.statusCode());
        assertEquals("websocket-required", json(r).get("code").textValue());
    }

    @Test
    void aStreamedBodyArrivesChunkedAndWhole() throws Exception {
        String answer = raw("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(true, answer.toLowerCase().contains("transfer-encoding: chunked"), answer);
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/stream")));
        assertEquals("data: one\n\ndata: two\n\n", r.body());
    }

    @Test
    void requestsTheHttpLayerRefusesAnswerInTheOneErrorShape() throws Exception {
        String answer = raw("GET /things/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + "a".repeat(ApiServer.MAX_HEADER_BYTES) + "\r\n\r\n");
        assertEquals(true, answer.startsWith("HTTP/1.1 431"), answer);
        assertEquals(true, answer.contains("\"code\":\"headers-too-large\""), answer);
        answer = raw("GET /things/1 HTTP/7.0\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(true, answer.contains("\"code\":"), answer);
        assertEquals(-1, answer.indexOf("Jetty"), "the server does not name itself: " + answer);
    }

    @Test
    void aClientThatNeverFinishesItsRequestIsCutOffAtTheRequestTimeout() throws Exception {
        try (java.net.Socket slow = new java.net.Socket("127.0.0.1", server.address().getPort())) {
            slow.setSoTimeout(10_000);
            long start = System.nanoTime();
            // One byte a half second keeps the connection from ever idling; the request never ends.
            slow.getOutputStream().write("POST /things HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{".getBytes());
            java.io.InputStream in = slow.getInputStream();
            int read = 0;
            try {
                for (int i = 0; i < 20; i++) {
                    slow.getOutputStream().write(' ');
                    Thread.sleep(500);
                }
            } catch (java.io.IOException closed) {
                // the server closed the connection while we were still writing
            }
            try {
                read = in.read();
            } catch (java.io.IOException reset) {
                read = -1;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(-1, read, "the connection was closed, unanswered");
            assertEquals(true, seconds >= 1.5 && seconds < 8, "cut off after " + seconds + " s, not about 2");
        }
    }

    @Test
    void aKeptAliveConnectionThatWaitsQuietlyIsNotCutByTheRequestTimeout() throws Exception {
        // Closing it would race the client's next request, which a client may not retry (a POST).
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.address().getPort())) {
            socket.setSoTimeout(5000);
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            for (int i = 0; i < 2; i++) {
                socket.getOutputStream().write("GET /things/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes());
                assertEquals("HTTP/1.1 200 OK", in.readLine());
                int length = 0;
                for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
                    if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
                }
                in.skip(length);
                Thread.sleep(3500); // past the 2 s request timeout, within the 30 s idle timeout
            }
        }
    }

    @Test
    void headAnswersEveryGetRouteWithItsHeadersAndNoBody() throws Exception {
        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(base + "/things/7")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> get = send(HttpRequest.newBuilder(URI.create(base + "/things/7")));
        assertEquals(get.statusCode(), head.statusCode());
        assertEquals(get.headers().firstValue("Content-Length"), head.headers().firstValue("Content-Length"), "the length GET would send");
        assertEquals("", head.body(), "and no body");
        HttpResponse<String> refused = send(HttpRequest.newBuilder(URI.create(base + "/plain")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, refused.statusCode(), "a route with no GET has no HEAD either");
    }

    @Test
    void aFileDownloadResumesFromARangeAndIsNotSentAgainWhenUnchanged() throws Exception {
        HttpResponse<String> whole = send(HttpRequest.newBuilder(URI.create(base + "/file")));
        assertEquals(200, whole.statusCode());
        assertEquals("0123456789abcdef", whole.body());
        assertEquals("bytes", whole.headers().firstValue("Accept-Ranges").orElse(""));
        String etag = whole.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> rest = send(HttpRequest.newBuilder(URI.create(base + "/file")).header("Range", "bytes=10-"));
        assertEquals(206, rest.statusCode());
        assertEquals("abcdef", rest.body(), "the download resumes where it stopped");
        assertEquals("bytes 10-15/16", rest.headers().firstValue("Content-Range").orElse(""));

        HttpResponse<String> past = send(HttpRequest.newBuilder(URI.create(base + "/file")).header("Range", "bytes=99-"));
        assertEquals(416, past.statusCode(), "a range past the end");

        HttpResponse<String> unchanged = send(HttpRequest.newBuilder(URI.create(base + "/file")).header("If-None-Match", etag));
        assertEquals(304, unchanged.statusCode());
        assertEquals("", unchanged.body());

        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(base + "/file")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals("16", head.headers().firstValue("Content-Length").orElse(""));
        assertEquals("", head.body());
    }

    @Test
    void aFailureIsAnsweredByTheHandlerOfItsNearestRegisteredType() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/arg")));
        assertEquals(400, r.statusCode(), "IllegalArgumentException's own handler, not RuntimeException's 500");
        assertEquals("bad-argument", json(r).get("code").textValue());
        assertEquals("an argument of its own", json(r).get("message").textValue());
    }

    @Test
    void aListenerWithAnErrorFormOfItsOwnSendsEveryErrorInIt() throws Exception {
        ApiServer other = new ApiServer().errorForm((code, message) -> java.util.Map.of("error", code + ": " + message))
                .route("POST", "/call", ex -> {
                    throw dev.hangar.core.HangarException.invalid("invalid-thing", "no such thing");
                });
        other.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try {
            String at = "http://127.0.0.1:" + other.address().getPort();
            HttpResponse<String> failed = send(HttpRequest.newBuilder(URI.create(at + "/call")).POST(HttpRequest.BodyPublishers.noBody()));
            HttpResponse<String> missing = send(HttpRequest.newBuilder(URI.create(at + "/nothing")));
            HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(URI.create(at + "/call")));
            String refused = raw(other, "GET /call HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n");

            assertEquals(400, failed.statusCode());
            assertEquals("invalid-thing: no such thing", json(failed).get("error").textValue());
            assertEquals("route-not-found: no such route: /nothing", json(missing).get("error").textValue());
            assertEquals(405, wrongMethod.statusCode());
            assertEquals(true, json(wrongMethod).get("error").textValue().startsWith("method-not-allowed: "), wrongMethod.body());
            assertEquals("HTTP/1.1 505 HTTP Version Not Supported", status(refused), "Jetty's own refusal");
            assertEquals(true, refused.contains("{\"error\":\"http-version-not-supported: "), refused);
        } finally {
            other.close();
        }
    }

    @Test
    void workGivenToRunAfterTheAnswerRunsOnceTheClientHasItsAnswer() throws Exception {
        java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Boolean> ran = new java.util.concurrent.CompletableFuture<>();
        ApiServer other = new ApiServer().route("POST", "/start", ex -> {
            ex.afterAnswer().execute(() -> {
                try {
                    ran.complete(answered.await(10, java.util.concurrent.TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    ran.complete(false);
                }
            });
            ex.json(202, java.util.Map.of("started", "later"));
        });
        other.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + other.address().getPort() + "/start"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            answered.countDown();

            assertEquals(202, r.statusCode(), "answered while the work still waited for the answer");
            assertEquals(true, ran.get(10, java.util.concurrent.TimeUnit.SECONDS), "and the work ran after it");
        } finally {
            other.close();
        }
    }

    @Test
    void theChecksRunInOrderTheBodyCapBeforeTheHostRule() throws Exception {
        String big = "x".repeat((int) Exchange.MAX_BODY + 10);
        String answer = raw("POST /things HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: "
                + big.length() + "\r\n\r\n" + big);
        assertEquals("HTTP/1.1 413 Payload Too Large", status(answer), "a body nobody read to its end is refused first");
    }

    @Test
    void aFaceWhoseOwnIoFailsAnswers500NotAnEmptySuccess() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/gone-file")));
        assertEquals(500, r.statusCode());
        assertEquals("internal-error", json(r).get("code").textValue());
        assertEquals(true, r.headers().firstValue("Content-Disposition").isEmpty(), "no download is announced");
    }

    @Test
    void aPageOfAnotherOriginMayNotWriteButItsOwnPageMay() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things")).header("Origin", "http://evil.test")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(403, r.statusCode());
        assertEquals("origin-mismatch", json(r).get("code").textValue());
        r = send(HttpRequest.newBuilder(URI.create(base + "/things")).header("Origin", base)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(202, r.statusCode(), "the page's own origin writes");
        assertEquals(200, send(HttpRequest.newBuilder(URI.create(base + "/things/1")).header("Origin", "http://evil.test")).statusCode(),
                "a read is not a write");
        String answer = raw("GET /echo/ws HTTP/1.1\r\nHost: 127.0.0.1:" + server.address().getPort() + "\r\nOrigin: http://evil.test\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertEquals(true, answer.startsWith("HTTP/1.1 403"), "no WebSocket for a foreign page: " + answer);
    }

    private String status(String answer) {
        return answer.lines().findFirst().orElse("");
    }

    @Test
    void aRequestForAHostThisServiceIsNotIsMisdirectedBeforeAnyFace() throws Exception {
        int port = server.address().getPort();
        for (String host : new String[] {"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST.", "[::1]:" + port, "127.0.0.1"}) {
            assertEquals("HTTP/1.1 200 OK", status(raw("GET /things/1 HTTP/1.1\r\nHost: " + host + "\r\n\r\n")), host);
        }
        // A DNS-rebinding page: its name now points at 127.0.0.1, and its requests say so.
        String answer = raw("POST /things HTTP/1.1\r\nHost: rebind.evil.example:" + port + "\r\nOrigin: http://rebind.evil.example:" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals("HTTP/1.1 421 Misdirected Request", status(answer), answer);
        assertEquals(true, answer.endsWith("\"code\":\"misdirected-request\"") || answer.contains("\"code\":\"misdirected-request\""), answer);
        assertEquals("HTTP/1.1 421 Misdirected Request", status(raw("GET /things/1 HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n")),
                "another loopback address is not the one the connection came to");
        assertEquals("HTTP/1.1 421 Misdirected Request", status(raw("GET http://evil.example/things/1 HTTP/1.1\r\nHost: evil.example\r\n\r\n")),
                "an absolute target names the host too");
        String mixed = raw("GET http://evil.example/things/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(true, status(mixed).startsWith("HTTP/1.1 4"), "a target and a Host that disagree are refused (Jetty's 400): " + mixed);
        String twice = raw("GET /things/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n");
        assertEquals(true, status(twice).startsWith("HTTP/1.1 4"), "a second Host is never the one that counts: " + twice);
        answer = raw("GET /things/7 HTTP/1.0\r\n\r\n");
        assertEquals(true, answer.contains(" 200 "), "HTTP/1.0 without a Host is answered as before: " + answer);
    }

    @Test
    void theNamesTheOperatorConfiguresAreAnsweredToo() throws Exception {
        ApiServer named = new ApiServer().hostnames(java.util.List.of("Hangar.Example.org"));
        named.route("GET", "/things/:id", ex -> ex.json(200, Map.of("id", ex.pathParam("id"))));
        named.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", named.address().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /things/1 HTTP/1.1\r\nHost: hangar.example.org:443\r\nConnection: close\r\n\r\n".getBytes());
            assertEquals("HTTP/1.1 200 OK", new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine());
        } finally {
            named.close();
        }
    }

    @Test
    void theOriginRuleComparesWithTheNamesOfThisServiceNotWithTheRequestsHost() throws Exception {
        int port = server.address().getPort();
        String post = "POST /things HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nOrigin: ";
        assertEquals("HTTP/1.1 202 Accepted", status(raw(post + "http://localhost:" + port + "\r\n\r\n{}")), "localhost is this service too");
        assertEquals("HTTP/1.1 403 Forbidden", status(raw(post + "http://localhost:" + (port == 1 ? 2 : port - 1) + "\r\n\r\n{}")),
                "a page on another port of the same host is another origin");
        assertEquals("HTTP/1.1 403 Forbidden", status(raw(post + "https://127.0.0.1:" + port + "\r\n\r\n{}")), "and so is another scheme");
        assertEquals("HTTP/1.1 403 Forbidden", status(raw(post + "null\r\n\r\n{}")), "an opaque origin (a sandboxed frame)");
    }

    @Test
    void anUpgradeToWebSocketIsSeenInEveryUpgradeHeaderWhateverItsSpelling() throws Exception {
        java.util.List<Boolean> judged = new java.util.concurrent.CopyOnWriteArrayList<>();
        ApiServer guarded = new ApiServer().guard(ex -> {
            judged.add(ex.isWebSocketUpgrade());
            return ex.isWebSocketUpgrade() ? ApiServer.Admission.refused(401, "oauth-missing", "sign it", Map.of()) : ApiServer.Admission.open();
        });
        guarded.route("GET", "/echo/ws", ex -> ex.webSocket(new Echo()));
        guarded.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try {
            String handshake = "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            for (String upgrade : new String[] {"Upgrade: h2c\r\nUpgrade: websocket\r\n", "Upgrade: h2c, WebSocket\r\n",
                    "Upgrade: websocket/13\r\n", "upgrade: WEBSOCKET\r\n"}) {
                try (java.net.Socket socket = new java.net.Socket("127.0.0.1", guarded.address().getPort())) {
                    socket.setSoTimeout(5000);
                    socket.getOutputStream().write(("GET /echo/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade + handshake).getBytes());
                    String line = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
                    assertEquals("HTTP/1.1 401 Unauthorized", line, "refused, never 101: " + upgrade);
                }
            }
            assertEquals(java.util.List.of(true, true, true, true), judged, "the guard saw an upgrade each time");
        } finally {
            guarded.close();
        }
    }

    /** A connection the server has closed: reading it ends (or resets) within 5 s. */
    private static boolean closedByServer(java.net.Socket socket) throws Exception {
        socket.setSoTimeout(5000);
        try {
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (java.io.IOException reset) {
            return true;
        }
    }

    /** A server of one route that holds at most perSource connections from one address and total in all. */
    private static ApiServer limited(int perSource, int total) throws java.io.IOException {
        ApiServer limited = new ApiServer().connectionLimits(perSource, total);
        limited.route("GET", "/things/:id", ex -> ex.json(200, Map.of("id", ex.pathParam("id"))));
        limited.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return limited;
    }

    @Test
    void oneAddressHoldsAtMostItsShareOfConnections() throws Exception {
        ApiServer limited = limited(3, 100);
        java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) held.add(new java.net.Socket("127.0.0.1", limited.address().getPort()));
            Thread.sleep(300); // counted: the server's selectors take connections in no set order
            java.net.Socket fourth = new java.net.Socket("127.0.0.1", limited.address().getPort());
            held.add(fourth);
            assertEquals(true, closedByServer(fourth), "the fourth from one address is closed");
            // Another address (the operator's) still gets in.
            java.net.Socket other = new java.net.Socket();
            held.add(other);
            other.bind(new InetSocketAddress("127.0.0.2", 0));
            other.connect(new InetSocketAddress("127.0.0.1", limited.address().getPort()));
            other.getOutputStream().write("GET /things/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes());
            other.setSoTimeout(5000);
            assertEquals("HTTP/1.1 200 OK", new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream())).readLine());
        } finally {
            for (java.net.Socket s : held) s.close();
            limited.close();
        }
    }

    @Test
    void pastTheTotalTheConnectionIdleTheLongestMakesRoom() throws Exception {
        ApiServer limited = limited(100, 3);
        java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                held.add(new java.net.Socket("127.0.0.1", limited.address().getPort()));
                Thread.sleep(300); // the first is idle the longest
            }
            Thread.sleep(ConnectionLimits.IDLE_MILLIS);
            java.net.Socket fresh = new java.net.Socket("127.0.0.1", limited.address().getPort());
            held.add(fresh);
            fresh.getOutputStream().write("GET /things/2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes());
            fresh.setSoTimeout(5000);
            assertEquals("HTTP/1.1 200 OK", new java.io.BufferedReader(new java.io.InputStreamReader(fresh.getInputStream())).readLine(),
                    "the new connection is served");
            assertEquals(true, closedByServer(held.get(0)), "the oldest idle one was closed to make room");
        } finally {
            for (java.net.Socket s : held) s.close();
            limited.close();
        }
    }

    @Test
    void theFormsTheSeedsClientsSendReachTheFace() throws Exception {
        // A chunked body with no Content-Type (Python clients streaming a body), as one request.
        String answer = raw("POST /things HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "7\r\n{\"a\": 1\r\n1\r\n}\r\n0\r\n\r\n");
        assertEquals("HTTP/1.1 202 Accepted", answer.lines().findFirst().orElse(""), answer);
        assertEquals(true, answer.endsWith("{\"a\":1}"), answer);
        // A trailing slash, and a name with a colon (the staging agent's vlan:292), name the same route and value.
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things/vlan:292/")));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("vlan:292", json(r).get("id").textValue());
        // HTTP/1.0 without a Host header (the seed's oldest clients).
        answer = raw("GET /things/7 HTTP/1.0\r\n\r\n");
        assertEquals(true, answer.startsWith("HTTP/1.1 200") || answer.startsWith("HTTP/1.0 200"), answer);
        assertEquals(true, answer.endsWith("{\"id\":\"7\"}"), answer);
    }

    @Test
    void anEncodedSlashStaysInsideItsSegment() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things/a%2Fb")));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("a/b", json(r).get("id").textValue());
    }

    @Test
    void capturesPathParameters() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things/42")));
        assertEquals(200, r.statusCode());
        assertEquals("42", json(r).get("id").textValue());
    }

    @Test
    void mapsKindsToStatuses() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things/missing")));
        assertEquals(404, r.statusCode());
        assertEquals("thing-not-found", json(r).get("code").textValue());
        assertEquals(409, send(HttpRequest.newBuilder(URI.create(base + "/things/locked"))).statusCode());
        r = send(HttpRequest.newBuilder(URI.create(base + "/things/busy")));
        assertEquals(429, r.statusCode());
        assertEquals("5", r.headers().firstValue("Retry-After").orElse(""), "a 429 says when to ask again");
        r = send(HttpRequest.newBuilder(URI.create(base + "/things/full")));
        assertEquals(507, r.statusCode());
        assertEquals("vm-limit-reached", json(r).get("code").textValue());
    }

    @Test
    void aBodyOverTheLimitIs413BeforeAnyFaceOrGuardSeesIt() throws Exception {
        server.guard(ex -> { throw new AssertionError("the guard saw an oversized body"); });
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[Exchange.MAX_BODY + 1])));
        assertEquals(413, r.statusCode());
        assertEquals("body-too-large", json(r).get("code").textValue());
        // Its unread rest would be taken for the next request: the client must not send one on this connection.
        assertEquals("close", r.headers().firstValue("Connection").orElse(""));
        server.guard(ex -> ApiServer.Admission.open());
        r = send(HttpRequest.newBuilder(URI.create(base + "/things")).POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(202, r.statusCode(), "the next request, on a new connection, is answered");
    }

    @Test
    void anUnexpectedFailureIsA500WithoutItsDetails() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things/boom")));
        assertEquals(500, r.statusCode());
        assertEquals("internal-error", json(r).get("code").textValue());
        assertEquals(-1, r.body().indexOf("secret internals"));
    }

    @Test
    void unknownRoutesAndWrongMethodsAnswerJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/nope")));
        assertEquals(404, r.statusCode());
        assertEquals("route-not-found", json(r).get("code").textValue());
        r = send(HttpRequest.newBuilder(URI.create(base + "/things/1")).DELETE());
        assertEquals(405, r.statusCode());
        assertEquals("method-not-allowed", json(r).get("code").textValue());
        assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""), "every GET route answers HEAD too");
    }

    @Test
    void aBodyThatIsNotJsonIs415() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{not json")));
        assertEquals(415, r.statusCode());
        assertEquals("unsupported-media-type", json(r).get("code").textValue());
        r = send(HttpRequest.newBuilder(URI.create(base + "/things"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(415, r.statusCode());
        r = send(HttpRequest.newBuilder(URI.create(base + "/things"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")));
        assertEquals(202, r.statusCode());
    }

    @Test
    void aTrailingCommaAsInTheSeedsOwnExamplesIsForgivenAndNothingElse() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/things"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\": [1, 2,], \"callback_url\": \"http://x.test/\",}")));
        assertEquals(202, r.statusCode(), r.body());
        assertEquals(2, json(r).get("a").size());
        for (String lenient : new String[] {"{'a': 1}", "{a: 1}", "{\"a\": 1} // c", "{\"a\": NaN}", "{,}"}) {
            assertEquals(415, send(HttpRequest.newBuilder(URI.create(base + "/things"))
                    .POST(HttpRequest.BodyPublishers.ofString(lenient))).statusCode(), lenient);
        }
    }

    @Test
    void aFaceMayTakeJsonWithoutAContentTypeAndAnswerABadBodyWith400() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/plain")).POST(HttpRequest.BodyPublishers.ofString("{\"memory\": 512}")));
        assertEquals(201, r.statusCode());
        for (String bad : new String[] {"", "{", "[1]", "512"}) {
            r = send(HttpRequest.newBuilder(URI.create(base + "/plain")).POST(HttpRequest.BodyPublishers.ofString(bad)));
            assertEquals(400, r.statusCode(), bad);
            assertEquals("invalid-json", json(r).get("code").textValue());
        }
    }
}
