package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Guessing is slowed per source: the guesser waits, nobody else does. */
class FailureLimiterTest {
    private Instant now = Instant.parse("2026-12-07T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    };

    @Test
    void pastItsLimitASourceWaitsUntilItsOldestFailureLeavesTheWindowAndNoOtherSourceWaits() {
        FailureLimiter limiter = new FailureLimiter(3, Duration.ofMinutes(1), clock);
        for (int i = 0; i < 3; i++) {
            assertEquals(Duration.ZERO, limiter.waitFor("192.0.2.1"));
            limiter.failed("192.0.2.1");
            now = now.plusSeconds(10);
        }
        Duration wait = limiter.waitFor("192.0.2.1");
        assertTrue(wait.getSeconds() > 0 && wait.getSeconds() <= 31, "until the first failure is a minute old: " + wait);
        assertEquals(Duration.ZERO, limiter.waitFor("198.51.100.7"), "another source is not held back");
        now = now.plus(wait);
        assertEquals(Duration.ZERO, limiter.waitFor("192.0.2.1"), "and the guesser may try again once a failure left the window");
    }

    @Test
    void itRemembersABoundedNumberOfSources() {
        FailureLimiter limiter = new FailureLimiter(1, Duration.ofMinutes(1), clock);
        for (int i = 0; i < FailureLimiter.MAX_SOURCES + 10; i++) limiter.failed("10.0." + (i / 256) + "." + (i % 256));
        assertEquals(Duration.ZERO, limiter.waitFor("10.0.0.0"), "the least recently failing source was forgotten");
        assertTrue(limiter.waitFor("10.0." + ((FailureLimiter.MAX_SOURCES + 9) / 256) + "." + ((FailureLimiter.MAX_SOURCES + 9) % 256)).getSeconds() > 0);
    }
}
