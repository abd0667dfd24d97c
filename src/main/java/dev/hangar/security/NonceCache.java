package dev.hangar.security;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The nonces of accepted requests, each kept until its timestamp leaves the window (after that the
 * timestamp alone refuses a replay). Bounded: when full of live nonces, a new one is refused rather
 * than an old one forgotten, since forgetting one would let its request be replayed.
 */
final class NonceCache {
    enum Outcome { FIRST_USE, REPLAYED, FULL }

    private record Entry(long expiresAt, String id) {}

    private final int capacity;
    private final Map<String, Long> live = new HashMap<>();
    private final PriorityQueue<Entry> byExpiry = new PriorityQueue<>((a, b) -> Long.compare(a.expiresAt, b.expiresAt));

    NonceCache(int capacity) {
        this.capacity = capacity;
    }

    /** Remembers {@code id} until {@code expiresAt} (epoch seconds, exclusive) unless it is live already. */
    synchronized Outcome remember(String id, long expiresAt, long now) {
        while (!byExpiry.isEmpty() && byExpiry.peek().expiresAt <= now) live.remove(byExpiry.poll().id);
        if (live.containsKey(id)) return Outcome.REPLAYED;
        if (live.size() >= capacity) return Outcome.FULL;
        live.put(id, expiresAt);
        byExpiry.add(new Entry(expiresAt, id));
        return Outcome.FIRST_USE;
    }

    synchronized int size() {
        return live.size();
    }
}
