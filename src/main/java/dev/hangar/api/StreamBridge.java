package dev.hangar.api;

import dev.hangar.core.vms.MachineStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins a WebSocket to a machine's stream, byte for byte: a preface first (the console's recent
 * past), then what the machine sends, as binary messages; what the client sends is written to the
 * machine. The stream is opened only once the WebSocket is open (QEMU serves a console to one client
 * at a time: nothing holds it for a request that never became a WebSocket). When either side ends,
 * both end, and the stream is closed once.
 */
public final class StreamBridge implements WebSocketEndpoint {
    private static final Logger log = LoggerFactory.getLogger(StreamBridge.class);
    static final int CHUNK = 16 * 1024;

    /** Opens the machine's stream; it may fail (the machine stopped meanwhile), and the WebSocket then closes. */
    @FunctionalInterface
    public interface Opener {
        MachineStream open();
    }

    private final Opener opener;
    private final byte[] preface;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile MachineStream stream;
    private volatile WebSocketPeer peer;

    public StreamBridge(Opener opener, byte[] preface) {
        this.opener = opener;
        this.preface = preface.clone();
    }

    @Override
    public void opened(WebSocketPeer peer) {
        this.peer = peer;
        try {
            stream = opener.open();
        } catch (RuntimeException e) {
            log.info("a WebSocket found its machine gone: {}", e.getMessage());
            end();
            return;
        }
        if (ended.get()) stream.close(); // the client left while the stream was opening
        else Thread.ofVirtual().name("stream-bridge").start(this::pump);
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
        MachineStream s = stream;
        if (s == null) return;
        try {
            s.write(message);
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
        MachineStream s = stream;
        if (s != null) s.close();
        WebSocketPeer p = peer;
        if (p != null) p.close();
    }
}
