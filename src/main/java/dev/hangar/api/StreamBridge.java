package dev.hangar.api;

import dev.hangar.core.ports.MachineStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins a WebSocket to a machine's stream, byte for byte: a preface first (the console's recent
 * past), then what the machine sends, as binary messages; what the client sends is written to the
 * machine. When either side ends, both end, and the stream is closed once.
 */
public final class StreamBridge implements WebSocketEndpoint {
    private static final Logger log = LoggerFactory.getLogger(StreamBridge.class);
    static final int CHUNK = 16 * 1024;

    private final MachineStream stream;
    private final byte[] preface;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile WebSocketPeer peer;

    public StreamBridge(MachineStream stream, byte[] preface) {
        this.stream = stream;
        this.preface = preface.clone();
    }

    @Override
    public void opened(WebSocketPeer peer) {
        this.peer = peer;
        Thread.ofVirtual().name("stream-bridge").start(this::pump);
    }

    /** Machine to client, until one of them ends. */
    private void pump() {
        try {
            if (preface.length > 0) peer.send(preface);
            byte[] buffer = new byte[CHUNK];
            for (int n; (n = stream.read(buffer)) >= 0; ) {
                if (n > 0) peer.send(Arrays.copyOf(buffer, n));
            }
        } catch (IOException e) {
            log.debug("stream bridge ended: {}", e.getMessage());
        } finally {
            end();
        }
    }

    @Override
    public void received(byte[] message) {
        try {
            stream.write(message);
        } catch (IOException e) {
            log.debug("the machine's stream refused a write: {}", e.getMessage());
            end();
        }
    }

    @Override
    public void closed() {
        end();
    }

    private void end() {
        if (!ended.compareAndSet(false, true)) return;
        stream.close();
        WebSocketPeer p = peer;
        if (p != null) p.close();
    }
}
