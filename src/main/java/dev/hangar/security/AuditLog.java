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
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code audit.log}: every write and WebSocket upgrade any listener answered (or refused), one JSON line
 * each: time, consumer key (null when none was verified), remote address, method, path, status; and a
 * line when a WebSocket closes ({@code "event": "websocket-closed"}, with how long it was open and the
 * bytes its client sent: keys typed into a console). Never a body or a query: they may hold secrets.
 *
 * <p>Bounded, so that nobody who can connect fills the disk: a path past {@value #MAX_PATH} characters is
 * cut (its length is kept); the file is rotated when the next line would take it past its size
 * ({@code audit.log.1} ... {@code audit.log.4} kept, {@value #FILES} files in all); and a storm of
 * refusals from one address is folded: past {@value #REFUSALS_PER_SECOND} in one second, the rest of
 * that second is one line saying how many ({@code "event": "refusals-folded"}). One lock for every
 * listener, so lines never interleave. The files are the operator's alone (0600).
 */
public final class AuditLog implements ApiServer.Recorder, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    public static final long DEFAULT_MAX_BYTES = 10L << 20;
    static final int MAX_PATH = 256;
    static final int FILES = 5;
    static final int REFUSALS_PER_SECOND = 10;

    private final Path file;
    private final Clock clock;
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: a virtual thread would pin on its I/O
    /** Refusals per source address in the current second (guarded by lock). */
    private final Map<String, Integer> refusals = new HashMap<>();
    private long refusalSecond = Long.MIN_VALUE;
    private long size = -1;
    private volatile Thread flusher;

    public AuditLog(Path file, Clock clock) {
        this(file, clock, DEFAULT_MAX_BYTES);
    }

    public AuditLog(Path file, Clock clock, long maxBytes) {
        if (maxBytes < 1024) throw new IllegalArgumentException("an audit log of fewer than 1024 bytes holds no line");
        this.file = file;
        this.clock = clock;
        this.maxBytes = maxBytes;
    }

    @Override
    public void answered(Exchange exchange, String consumerKey) {
        if (!exchange.isWrite() && !exchange.isWebSocketUpgrade()) return;
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("consumer_key", consumerKey);
        line.put("remote", exchange.remoteAddress());
        line.put("method", exchange.method());
        path(line, exchange.path());
        line.put("status", exchange.status());
        if (exchange.refusalReason() != null) line.put("reason", exchange.refusalReason());
        boolean refused = exchange.status() >= 400;
        lock.lock();
        try {
            if (refused && folded(exchange.remoteAddress())) return;
            write(line.toString());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void webSocketClosed(Exchange exchange, String consumerKey, Duration open, long bytesReceived) {
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("event", "websocket-closed");
        line.put("consumer_key", consumerKey);
        line.put("remote", exchange.remoteAddress());
        path(line, exchange.path());
        line.put("seconds", open.toMillis() / 1000.0);
        line.put("bytes_received", bytesReceived);
        append(line.toString());
    }

    /** Writes, every second, the folded refusals of the seconds gone by (a storm that ended in silence). */
    public AuditLog start() {
        flusher = Thread.ofVirtual().name("audit-flush").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                flush(clock.millis() / 1000);
            }
        });
        return this;
    }

    /** Writes the folded refusals of every second before {@code second}. */
    void flush(long second) {
        lock.lock();
        try {
            foldedSummaries(second);
        } finally {
            lock.unlock();
        }
    }

    /** Stops the flusher and writes whatever is still folded. */
    @Override
    public void close() {
        Thread t = flusher;
        if (t != null) t.interrupt();
        flush(Long.MAX_VALUE);
    }

    private static void path(ObjectNode line, String path) {
        if (path.length() <= MAX_PATH) {
            line.put("path", path);
        } else {
            line.put("path", path.substring(0, MAX_PATH) + "…");
            line.put("path_length", path.length());
        }
    }

    /** Whether this refusal is one past its source's allowance for the second: then it is only counted. */
    private boolean folded(String remote) {
        long second = clock.millis() / 1000;
        if (second != refusalSecond) {
            foldedSummaries(second);
            refusalSecond = second;
        }
        return refusals.merge(remote, 1, Integer::sum) > REFUSALS_PER_SECOND;
    }

    /** One line per source whose refusals were folded in a second before {@code now}. */
    private void foldedSummaries(long now) {
        if (refusalSecond >= now) return;
        for (Iterator<Map.Entry<String, Integer>> it = refusals.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Integer> e = it.next();
            int folded = e.getValue() - REFUSALS_PER_SECOND;
            if (folded > 0) {
                ObjectNode line = Json.MAPPER.createObjectNode();
                line.put("time", java.time.Instant.ofEpochSecond(refusalSecond).toString());
                line.put("event", "refusals-folded");
                line.put("remote", e.getKey());
                line.put("count", folded);
                line.put("seconds", 1);
                write(line.toString());
            }
            it.remove();
        }
    }

    void append(String line) {
        lock.lock();
        try {
            write(line);
        } finally {
            lock.unlock();
        }
    }

    /** Appends one line, rotating first when it would take the file past its size; the caller holds the lock. */
    private void write(String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) {
                // First line, or the file was moved away (an operator's logrotate): a new file, the operator's alone.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                size = 0;
            }
            if (size < 0) size = Files.size(file);
            if (size > 0 && size + bytes.length > maxBytes) {
                rotate();
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.APPEND)) {
                out.write(bytes);
            }
            size += bytes.length;
        } catch (IOException e) {
            // The request was answered already; losing its line is logged loudly rather than failing anything else.
            log.error("cannot append to the audit log {}: {}", file, e.getMessage());
            size = -1;
        }
    }

    /** audit.log.3 → .4 (the oldest, .4, goes), ..., audit.log → .1. */
    private void rotate() throws IOException {
        Files.deleteIfExists(rotated(FILES - 1));
        for (int i = FILES - 2; i >= 1; i--) {
            if (Files.exists(rotated(i))) Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        size = 0;
    }

    private Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }
}
