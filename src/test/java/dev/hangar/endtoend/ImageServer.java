package dev.hangar.endtoend;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** A loopback HTTP server for images that counts the requests for each path. */
final class ImageServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, Supplier<InputStream>> bodies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    ImageServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            Supplier<InputStream> body = bodies.get(path);
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(200, 0);
            try (InputStream in = body.get(); OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            } catch (IOException clientWentAway) {
                // the service stopped reading (e.g. image-too-large)
            }
            ex.close();
        });
        server.start();
    }

    String serveFile(String path, Path file) {
        bodies.put(path, () -> {
            try {
                return Files.newInputStream(file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return url(path);
    }

    String serveBytes(String path, byte[] bytes) {
        bodies.put(path, () -> new java.io.ByteArrayInputStream(bytes));
        return url(path);
    }

    String serve(String path, Supplier<InputStream> body) {
        bodies.put(path, body);
        return url(path);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
