package dev.hangar.api;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * A WebSocket endpoint counted for the audit log: how long it was open and how many bytes its client
 * sent (keys typed into a console), told once when it closes.
 */
final class AuditedEndpoint implements WebSocketEndpoint {
    private final WebSocketEndpoint endpoint;
    private final BiConsumer<Duration, Long> closedAfter;
    private final AtomicLong received = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long openedAt;

    AuditedEndpoint(WebSocketEndpoint endpoint, BiConsumer<Duration, Long> closedAfter) {
        this.endpoint = endpoint;
        this.closedAfter = closedAfter;
    }

    @Override
    public void opened(WebSocketPeer peer) {
        openedAt = System.nanoTime();
        endpoint.opened(peer);
    }

    @Override
    public void received(byte[] message) {
        received.addAndGet(message.length);
        endpoint.received(message);
    }

    @Override
    public void closed() {
        try {
            endpoint.closed();
        } finally {
            if (openedAt != 0 && closed.compareAndSet(false, true)) {
                closedAfter.accept(Duration.ofNanos(System.nanoTime() - openedAt), received.get());
            }
        }
    }
}
