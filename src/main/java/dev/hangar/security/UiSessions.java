package dev.hangar.security;

import dev.hangar.api.ui.Logins;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The web console's logins when OAuth is on: a browser cannot sign each request with OAuth 1.0a, so it
 * logs in once with one of the configured clients' key and secret and gets a random session token (a
 * cookie) that stands for that client until it expires or logs out. Only a hash of each token is
 * kept, in memory: a restart logs everyone out. At most {@code capacity} sessions live at once; a
 * login past that ends the oldest.
 */
public final class UiSessions implements Logins {
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(12);
    public static final int DEFAULT_CAPACITY = 1000;
    private static final int TOKEN_BYTES = 32; // 256 bits

    /**
     * Failed logins allowed in a window from one source address, all clients together (a guesser cannot
     * spread over made-up keys). Past it that source waits, for under a minute; the operator's login from
     * another address never does, and signed requests are never affected.
     */
    static final int MAX_FAILURES = 20;
    static final Duration FAILURE_WINDOW = Duration.ofMinutes(1);
    private final FailureLimiter failures;

    /** Consumer key → SHA-256 of its secret. */
    private final Map<String, byte[]> secrets = new HashMap<>();
    private final Clock clock;
    private final Duration lifetime;
    private final int capacity;
    private final SecureRandom random = new SecureRandom();
    /** SHA-256 of the token (base64url) → session, oldest first. */
    private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>();
    /** Compared against when the client is unknown, so an unknown key costs what a known one does. */
    private final byte[] decoy = new byte[32];

    /** {@code clients}: consumer key → secret, the configuration's OAuth clients. */
    public UiSessions(Map<String, String> clients, Clock clock, Duration lifetime, int capacity) {
        if (lifetime.isNegative() || lifetime.isZero()) throw new IllegalArgumentException("a session's lifetime must be positive");
        if (capacity < 1) throw new IllegalArgumentException("at least one session must fit");
        clients.forEach((k, v) -> secrets.put(k, sha256(v)));
        this.clock = clock;
        this.lifetime = lifetime;
        this.capacity = capacity;
        this.failures = new FailureLimiter(MAX_FAILURES, FAILURE_WINDOW, clock);
        random.nextBytes(decoy);
    }

    @Override
    public Duration lifetime() {
        return lifetime;
    }

    /** A new session for this client when the secret is its secret (compared in constant time); else empty. */
    @Override
    public Optional<Login> login(String client, String secret, String source) {
        if (client == null || secret == null) return Optional.empty();
        Duration wait = failures.waitFor(source);
        if (!wait.isZero()) {
            throw new Throttled(MAX_FAILURES + " failed logins from " + source + " in the last " + FAILURE_WINDOW.toSeconds()
                    + " s: try again in " + wait.toSeconds() + " s");
        }
        byte[] expected = secrets.get(client);
        // Digests of equal length, compared in constant time: neither the secret nor its length leaks.
        boolean match = MessageDigest.isEqual(expected != null ? expected : decoy, sha256(secret));
        if (expected == null || !match) {
            failures.failed(source);
            return Optional.empty();
        }
        byte[] raw = new byte[TOKEN_BYTES];
        random.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Session session = new Session(client, clock.instant().plus(lifetime));
        synchronized (sessions) {
            dropExpired();
            while (sessions.size() >= capacity) {
                Iterator<String> oldest = sessions.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
            sessions.put(hash(token), session);
        }
        return Optional.of(new Login(token, session));
    }

    /** The live session this token stands for, if any. */
    @Override
    public Optional<Session> session(String token) {
        if (token == null || token.isEmpty()) return Optional.empty();
        String key = hash(token);
        synchronized (sessions) {
            Session s = sessions.get(key);
            if (s == null) return Optional.empty();
            if (!clock.instant().isBefore(s.expires())) {
                sessions.remove(key);
                return Optional.empty();
            }
            return Optional.of(s);
        }
    }

    /** Ends this token's session; nothing happens for a token that has none. */
    @Override
    public void logout(String token) {
        if (token == null || token.isEmpty()) return;
        synchronized (sessions) {
            sessions.remove(hash(token));
        }
    }

    /** Sessions alive now. */
    public int size() {
        synchronized (sessions) {
            dropExpired();
            return sessions.size();
        }
    }

    private void dropExpired() {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> !now.isBefore(s.expires()));
    }

    private static String hash(String token) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(token));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
