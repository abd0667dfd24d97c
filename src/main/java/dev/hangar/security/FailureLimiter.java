package dev.hangar.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows down guessing, per source: past {@code limit} failures (a wrong login, a bad signature) from one
 * source address within the window, that source is refused until its oldest failure leaves the window.
 * Another source, the real operator's among them, is never held back by one that guesses. At most
 * {@value #MAX_SOURCES} sources are remembered (the least recently failing go first), so a crowd of
 * addresses cannot grow it without end.
 */
public final class FailureLimiter {
    static final int MAX_SOURCES = 10_000;

    private final int limit;
    private final Duration window;
    private final Clock clock;
    /** Source → its failures in the window, oldest first; in order of last failure (access order). */
    private final LinkedHashMap<String, ArrayDeque<Instant>> failures = new LinkedHashMap<>(16, 0.75f, true);

    public FailureLimiter(int limit, Duration window, Clock clock) {
        if (limit < 1) throw new IllegalArgumentException("the limit must be positive");
        this.limit = limit;
        this.window = window;
        this.clock = clock;
    }

    /** How long the source must still wait, or zero when it may try. */
    public synchronized Duration waitFor(String source) {
        ArrayDeque<Instant> seen = recent(source);
        if (seen == null || seen.size() < limit) return Duration.ZERO;
        Duration left = Duration.between(clock.instant(), seen.peekFirst().plus(window));
        return left.isNegative() ? Duration.ZERO : left.plusSeconds(1).withNanos(0);
    }

    /** Counts one failure of the source. */
    public synchronized void failed(String source) {
        ArrayDeque<Instant> seen = failures.computeIfAbsent(source, s -> new ArrayDeque<>());
        seen.addLast(clock.instant());
        while (seen.size() > limit) seen.removeFirst(); // only the last `limit` matter
        if (failures.size() > MAX_SOURCES) {
            Iterator<Map.Entry<String, ArrayDeque<Instant>>> eldest = failures.entrySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    public int limit() {
        return limit;
    }

    public Duration window() {
        return window;
    }

    /** The source's failures still in the window (older ones dropped), or null when it has none. */
    private ArrayDeque<Instant> recent(String source) {
        ArrayDeque<Instant> seen = failures.get(source);
        if (seen == null) return null;
        Instant since = clock.instant().minus(window);
        while (!seen.isEmpty() && !seen.peekFirst().isAfter(since)) seen.removeFirst();
        if (seen.isEmpty()) {
            failures.remove(source);
            return null;
        }
        return seen;
    }
}
