package dev.hangar.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.hangar.api.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Receives callbacks on loopback, keeping each body with its signature header. */
final class CallbackReceiver implements AutoCloseable {
    record Call(JsonNode body, String rawBody, String signature) {}

    private final HttpServer server;
    private final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();

    CallbackReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.createContext("/callback", ex -> {
            String raw = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            calls.add(new Call(Json.MAPPER.readTree(raw), raw, ex.getRequestHeaders().getFirst("X-Hangar-Signature")));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/callback";
    }

    /** Callbacks received and not yet taken by next(). */
    int received() {
        return calls.size();
    }

    Call next(Duration timeout) throws InterruptedException {
        Call c = calls.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (c == null) throw new AssertionError("no callback within " + timeout);
        return c;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
