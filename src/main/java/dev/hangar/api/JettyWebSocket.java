package dev.hangar.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/** Jetty's WebSocket session, reduced to a {@link WebSocketEndpoint} and its peer. */
/* public: Jetty reaches its listeners through method handles. */
public final class JettyWebSocket implements Session.Listener.AutoDemanding {
    /**
     * A client that takes no message for this long is let go: while a send waits, nobody reads the
     * machine's side, and a guest whose console nobody reads slows down (QEMU holds back its UART).
     */
    static final long SEND_TIMEOUT_SECONDS = 10;
    private final WebSocketEndpoint endpoint;
    private final AtomicBoolean closed = new AtomicBoolean();

    JettyWebSocket(WebSocketEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        endpoint.opened(new WebSocketEndpoint.WebSocketPeer() {
            @Override
            public void send(byte[] message) throws IOException {
                try {
                    Callback.Completable.with(sent -> session.sendBinary(ByteBuffer.wrap(message), sent)).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new IOException("the client took more than " + SEND_TIMEOUT_SECONDS + " s to take a message");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while sending");
                } catch (ExecutionException e) {
                    throw new IOException("the WebSocket is gone: " + e.getCause().getMessage(), e.getCause());
                }
            }

            @Override
            public void close() {
                session.close();
            }
        });
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        byte[] message = new byte[payload.remaining()];
        payload.get(message);
        try {
            endpoint.received(message);
            callback.succeed();
        } catch (RuntimeException e) {
            callback.fail(e);
        }
    }

    @Override
    public void onWebSocketText(String message) {
        endpoint.received(message.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        if (closed.compareAndSet(false, true)) endpoint.closed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        if (closed.compareAndSet(false, true)) endpoint.closed();
    }
}
