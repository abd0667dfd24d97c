package dev.hangar.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A real HTTP server on 127.0.0.1 that serves images by path and counts the requests it gets, in all
 * and per path. Bodies are streamed, so a test can serve more bytes than it holds.
 */
public final class ImageServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, Body> bodies = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private volatile long delayMillis;

    public ImageServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** What is served at a path; a length of -1 sends the body chunked; etag null: none is sent. */
    private record Body(Supplier<InputStream> open, long length, String etag) {}

    private final Map<String, AtomicInteger> fullAnswers = new ConcurrentHashMap<>();

    /**
     * Serves body at path, with its Content-Length and an ETag of its content, and returns its URL. A
     * request whose If-None-Match names that ETag gets 304 and no body.
     */
    public String serve(String path, byte[] body) {
        bodies.put(path, new Body(() -> new ByteArrayInputStream(body), body.length,
                "\"" + Integer.toHexString(java.util.Arrays.hashCode(body)) + "-" + body.length + "\""));
        return url(path);
    }

    /** Answers that carried the whole body (200), for one path. */
    public int fullAnswers(String path) {
        AtomicInteger n = fullAnswers.get(path);
        return n == null ? 0 : n.get();
    }

    public void remove(String path) {
        bodies.remove(path);
    }

    public String serve(String path, Path file) {
        return serve(path, () -> {
            try {
                return Files.newInputStream(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Serves whatever the supplier opens for each request (it may block, to stall a download). */
    public String serve(String path, Supplier<InputStream> body) {
        bodies.put(path, new Body(body, -1, null));
        return url(path);
    }

    public String redirect(String from, String to) {
        redirects.put(from, to);
        return url(from);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Requests for every path. */
    public int requests() {
        return requests.get();
    }

    /** Requests for one path. */
    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    /** A body that never ends, 1 KiB every 20 ms: a slow server, whose writes fail once the client has gone. */
    public static InputStream tricklingBody() {
        return new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
                int n = Math.min(len, 1024);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                return n;
            }
        };
    }

    /** Answers still being sent: a client that closed its connection ends its answer at the next write. */
    public int openAnswers() {
        return open.get();
    }

    /** Makes every answer wait, so that concurrent clients overlap. */
    public void delay(long millis) {
        delayMillis = millis;
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        open.incrementAndGet();
        try {
            answer(exchange);
        } finally {
            open.decrementAndGet();
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        try (exchange) {
            if (delayMillis > 0) Thread.sleep(delayMillis);
            String to = redirects.get(path);
            if (to != null) {
                exchange.getResponseHeaders().add("Location", to);
                exchange.sendResponseHeaders(302, -1);
                return;
            }
            Body body = bodies.get(path);
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (body.etag() != null && body.etag().equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                exchange.sendResponseHeaders(304, -1);
                return;
            }
            fullAnswers.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            if (body.etag() != null) exchange.getResponseHeaders().set("ETag", body.etag());
            try (InputStream in = body.open().get()) {
                exchange.sendResponseHeaders(200, body.length() < 0 ? 0 : body.length());
                try (OutputStream out = exchange.getResponseBody()) {
                    in.transferTo(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientWentAway) {
            // the client stopped reading, e.g. at a size cap
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
