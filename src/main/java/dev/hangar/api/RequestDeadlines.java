package dev.hangar.api;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP connections of one listener, each with a deadline for the request it is receiving. Jetty
 * closes a connection that sends nothing for the idle timeout, but one that trickles a byte now and
 * then never idles: here a request must arrive whole (headers and body) within the limit of its first
 * byte being seen, or its connection is closed. A kept-alive connection that sends nothing is left to
 * the idle timeout (closing it here would race a client's next request); time spent answering does not
 * count (a large download, a stream of events), nor does a connection that became a WebSocket.
 * Requests are seen by the bytes their connection has read, checked a few times within the limit.
 */
final class RequestDeadlines extends HttpConnectionFactory {
    private static final Logger log = LoggerFactory.getLogger(RequestDeadlines.class);

    /** One connection's clock: the bytes it had read when it last rested, when more were first seen, whether it answers. */
    private static final class Clock {
        volatile long bytesAtRest;
        volatile long requestSeenAt = -1;
        volatile boolean answering;
    }

    private final long limitNanos;
    private final Map<Connection, Clock> connections = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    RequestDeadlines(HttpConfiguration config, Duration limit) {
        super(config);
        this.limitNanos = limit.toNanos();
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        Connection connection = super.newConnection(connector, endPoint);
        connections.put(connection, new Clock());
        connection.addEventListener(new Connection.Listener() {
            @Override
            public void onClosed(Connection closed) {
                connections.remove(closed);
            }
        });
        return connection;
    }

    /** The request's body was read whole: its connection is answering now, on no clock. */
    void bodyRead(Request request) {
        Clock clock = connections.get(request.getConnectionMetaData().getConnection());
        if (clock != null) clock.answering = true;
    }

    /** The answer is done: the connection's clock starts again for its next request. */
    void answered(Request request) {
        Connection connection = request.getConnectionMetaData().getConnection();
        Clock clock = connections.get(connection);
        if (clock == null) return;
        clock.bytesAtRest = connection.getBytesIn();
        clock.requestSeenAt = -1;
        clock.answering = false;
    }

    /** Started and stopped with its connector. */
    @Override
    protected void doStart() throws Exception {
        super.doStart();
        sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("request-deadlines").factory());
        long period = Math.max(100, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(limitNanos) / 4));
        sweeper.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** Notes requests newly begun, and closes the connections of those past their deadline. */
    private void sweep() {
        long now = System.nanoTime();
        connections.forEach((connection, clock) -> {
            if (clock.answering || connection.getBytesIn() <= clock.bytesAtRest) return;
            if (clock.requestSeenAt < 0) {
                clock.requestSeenAt = now;
            } else if (now - clock.requestSeenAt > limitNanos) {
                log.debug("closing {}: no whole request within {} s", connection.getEndPoint().getRemoteSocketAddress(),
                        TimeUnit.NANOSECONDS.toSeconds(limitNanos));
                connections.remove(connection);
                connection.getEndPoint().close();
            }
        });
    }

    @Override
    protected void doStop() throws Exception {
        if (sweeper != null) sweeper.shutdownNow();
        super.doStop();
    }
}
