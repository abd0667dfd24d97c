package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The web console's logins: who may log in, what a token stands for, and for how long. */
class UiSessionsTest {
    private static final Map<String, String> CLIENTS = Map.of("ops", "s3cret-ops", "ci", "s3cret-ci");

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-11-30T10:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final MovingClock clock = new MovingClock();
    private final UiSessions sessions = new UiSessions(CLIENTS, clock, Duration.ofHours(12), 3);

    @Test
    void aConfiguredClientsKeyAndSecretLogInAsThatClient() {
        dev.hangar.api.ui.Logins.Login login = sessions.login("ops", "s3cret-ops", "192.0.2.1").orElseThrow();
        assertEquals("ops", login.session().client());
        assertEquals(Instant.parse("2026-11-30T22:00:00Z"), login.session().expires());
        assertEquals("ops", sessions.session(login.token()).orElseThrow().client());
        // 256 random bits, base64url without padding
        assertTrue(login.token().matches("[A-Za-z0-9_-]{43}"), login.token());
        assertNotEquals(login.token(), sessions.login("ops", "s3cret-ops", "192.0.2.1").orElseThrow().token());
    }

    @Test
    void aWrongSecretAnUnknownClientOrAnotherClientsSecretLogsNobodyIn() {
        assertTrue(sessions.login("ops", "s3cret-opz", "192.0.2.1").isEmpty());
        assertTrue(sessions.login("ops", "s3cret-ops ", "192.0.2.1").isEmpty());
        assertTrue(sessions.login("ops", "", "192.0.2.1").isEmpty());
        assertTrue(sessions.login("ops", "s3cret-ci", "192.0.2.1").isEmpty());
        assertTrue(sessions.login("nobody", "s3cret-ops", "192.0.2.1").isEmpty());
        assertTrue(sessions.login(null, null, "192.0.2.1").isEmpty());
        assertEquals(0, sessions.size());
    }

    @Test
    void aSessionEndsAtItsExpiryOrAtLogout() {
        String a = sessions.login("ops", "s3cret-ops", "192.0.2.1").orElseThrow().token();
        String b = sessions.login("ci", "s3cret-ci", "192.0.2.1").orElseThrow().token();
        sessions.logout(b);
        assertTrue(sessions.session(b).isEmpty());
        clock.now = clock.now.plus(Duration.ofHours(12)).minusSeconds(1);
        assertTrue(sessions.session(a).isPresent());
        clock.now = clock.now.plusSeconds(1);
        assertTrue(sessions.session(a).isEmpty());
        assertEquals(0, sessions.size());
    }

    @Test
    void anUnknownOrEmptyTokenIsNoSession() {
        sessions.login("ops", "s3cret-ops", "192.0.2.1").orElseThrow();
        assertTrue(sessions.session("not-a-token").isEmpty());
        assertTrue(sessions.session("").isEmpty());
        assertTrue(sessions.session(null).isEmpty());
        sessions.logout("not-a-token"); // nothing to end, nothing fails
        assertEquals(1, sessions.size());
    }

    @Test
    void pastItsCapacityALoginEndsTheOldestSession() {
        String first = sessions.login("ops", "s3cret-ops", "192.0.2.1").orElseThrow().token();
        String second = sessions.login("ops", "s3cret-ops", "192.0.2.1").orElseThrow().token();
        sessions.login("ci", "s3cret-ci", "192.0.2.1").orElseThrow();
        String fourth = sessions.login("ci", "s3cret-ci", "192.0.2.1").orElseThrow().token();
        assertEquals(3, sessions.size());
        assertTrue(sessions.session(first).isEmpty());
        assertTrue(sessions.session(second).isPresent());
        assertTrue(sessions.session(fourth).isPresent());
    }

    @Test
    void theCookieIsFoundAmongOthers() {
        assertEquals("abc", dev.hangar.api.ui.Logins.tokenFrom("hangar_session=abc"));
        assertEquals("abc", dev.hangar.api.ui.Logins.tokenFrom("theme=dark; hangar_session=abc; lang=en"));
        assertNull(dev.hangar.api.ui.Logins.tokenFrom("theme=dark; not_hangar_session=abc"));
        assertNull(dev.hangar.api.ui.Logins.tokenFrom(null));
    }

    @Test
    void guessingSecretsIsSlowedToAHandfulAMinuteForTheGuesserAlone() {
        for (int i = 0; i < UiSessions.MAX_FAILURES; i++) assertTrue(sessions.login("ops", "guess-" + i, "192.0.2.1").isEmpty());
        assertThrows(dev.hangar.api.ui.Logins.Throttled.class, () -> sessions.login("ops", "s3cret-ops", "192.0.2.1"),
                "past the budget even the right secret waits, from that source");
        assertTrue(sessions.login("ops", "s3cret-ops", "198.51.100.7").isPresent(), "the operator at another address is not locked out");
        clock.now = clock.now.plus(UiSessions.FAILURE_WINDOW).plusSeconds(1);
        assertTrue(sessions.login("ops", "s3cret-ops", "192.0.2.1").isPresent(), "a minute later the right secret logs in");
    }
}
