package dev.hangar.api.ui;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The web console's logins as its face needs them (security/UiSessions keeps them): a browser cannot
 * sign each request with OAuth 1.0a, so it logs in once with a configured client's key and secret and
 * gets a session token, sent back as a cookie.
 */
public interface Logins {
    /** The session cookie's name. */
    String COOKIE = "hangar_session";
    /** The header every write by cookie carries: a cross-site form cannot set it. */
    String SESSION_HEADER = "X-Hangar-Session";

    /** A logged-in session: who, and until when. */
    record Session(String client, Instant expires) {}

    /** A new session's token (for the cookie) and the session. */
    record Login(String token, Session session) {}

    Duration lifetime();

    /** Too many failed logins lately: guessing secrets is slowed down to a handful a minute. */
    final class Throttled extends RuntimeException {
        public Throttled(String message) {
            super(message);
        }
    }

    /**
     * A new session for this client when the secret is its secret; empty otherwise; Throttled past the
     * failures allowed from this source address.
     */
    Optional<Login> login(String client, String secret, String source);

    /** The live session of this token, if it has one. */
    Optional<Session> session(String token);

    /** Ends this token's session; nothing happens for a token that has none. */
    void logout(String token);

    /** The session cookie's value in a Cookie header ({@code a=1; hangar_session=TOKEN}), or null. */
    static String tokenFrom(String cookieHeader) {
        if (cookieHeader == null) return null;
        for (String pair : cookieHeader.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equals(COOKIE)) return pair.substring(eq + 1).trim();
        }
        return null;
    }
}
