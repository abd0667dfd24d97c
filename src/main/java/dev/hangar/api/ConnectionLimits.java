package dev.hangar.api;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many connections a listener holds, so that nobody who can connect holds them all (3,000 slow
 * connections): at most {@code perSource} from one address (a connection past it is closed at once), and
 * at most {@code total} in all; past that, the connection idle the longest is closed to make room (a
 * kept-alive connection waiting for its next request costs its client nothing to open again), or, when
 * none is idle, the new one. Counted once per socket, whatever runs on it (TLS, HTTP, a WebSocket).
 */
final class ConnectionLimits implements Connection.Listener {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);
    /** A connection with no byte for this long counts as idle, and may go to make room. */
    static final long IDLE_MILLIS = 1000;

    private final int perSource;
    private final int total;
    /** Open sockets, oldest first, with their source address. Guarded by this. */
    private final LinkedHashMap<EndPoint, String> open = new LinkedHashMap<>();
    private final Map<String, Integer> bySource = new HashMap<>();

    ConnectionLimits(int perSource, int total) {
        this.perSource = perSource;
        this.total = total;
    }

    @Override
    public void onOpened(Connection connection) {
        EndPoint socket = connection.getEndPoint();
        if (!(socket instanceof SocketChannelEndPoint)) return; // TLS's inner end point: its socket is counted already
        String source = source(socket.getRemoteSocketAddress());
        EndPoint evict = null;
        boolean refuse;
        synchronized (this) {
            if (open.containsKey(socket)) return; // a WebSocket that took over the socket
            int fromSource = bySource.getOrDefault(source, 0);
            refuse = fromSource >= perSource;
            if (!refuse && open.size() >= total) {
                evict = longestIdle();
                refuse = evict == null;
            }
            if (!refuse) {
                open.put(socket, source);
                bySource.merge(source, 1, Integer::sum);
            }
        }
        if (refuse) {
            log.debug("closing a connection from {}: {} connections from it, {} in all", source, perSource, total);
            socket.close();
        }
        if (evict != null) evict.close();
    }

    @Override
    public void onClosed(Connection connection) {
        EndPoint socket = connection.getEndPoint();
        if (socket.isOpen()) return; // upgraded: the socket goes on under another connection
        synchronized (this) {
            String source = open.remove(socket);
            if (source != null) bySource.computeIfPresent(source, (s, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** Connections now open, for tests. */
    synchronized int open() {
        return open.size();
    }

    /** The open socket with no byte for the longest (at least IDLE_MILLIS), removed from the counts; null when none is idle. */
    private EndPoint longestIdle() {
        EndPoint best = null;
        long bestIdle = IDLE_MILLIS - 1;
        for (EndPoint e : open.keySet()) {
            long idle = e instanceof IdleTimeout t ? t.getIdleFor() : 0;
            if (idle > bestIdle) {
                best = e;
                bestIdle = idle;
            }
        }
        if (best != null) {
            String source = open.remove(best);
            bySource.computeIfPresent(source, (s, n) -> n > 1 ? n - 1 : null);
        }
        return best;
    }

    private static String source(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress().getHostAddress() : String.valueOf(address);
    }
}
