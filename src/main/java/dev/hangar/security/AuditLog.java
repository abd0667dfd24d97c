package dev.hangar.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code audit.log}: every write and WebSocket upgrade any listener answered (or refused), one JSON line
 * each: time, consumer key (null when none was verified), remote address, method, path, status; and a
 * line when a WebSocket closes ({@code "event": "websocket-closed"}, with how long it was open and the
 * bytes its client sent: keys typed into a console). Never a body or a query: they may hold secrets. One lock for every listener, so lines never interleave; the file is
 * opened for each line, so it may be rotated (moved away) at any time.
 */
public final class AuditLog implements ApiServer.Recorder {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final Path file;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: a virtual thread would pin on its I/O

    public AuditLog(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    @Override
    public void answered(Exchange exchange, String consumerKey) {
        if (!exchange.isWrite() && !exchange.isWebSocketUpgrade()) return;
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("consumer_key", consumerKey);
        line.put("remote", exchange.remoteAddress());
        line.put("method", exchange.method());
        line.put("path", exchange.path());
        line.put("status", exchange.status());
        append(line.toString());
    }

    @Override
    public void webSocketClosed(Exchange exchange, String consumerKey, java.time.Duration open, long bytesReceived) {
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("event", "websocket-closed");
        line.put("consumer_key", consumerKey);
        line.put("remote", exchange.remoteAddress());
        line.put("path", exchange.path());
        line.put("seconds", open.toMillis() / 1000.0);
        line.put("bytes_received", bytesReceived);
        append(line.toString());
    }

    void append(String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        lock.lock();
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // The request was answered already; losing its line is logged loudly rather than failing anything else.
            log.error("cannot append to the audit log {}: {}", file, e.getMessage());
        } finally {
            lock.unlock();
        }
    }
}
