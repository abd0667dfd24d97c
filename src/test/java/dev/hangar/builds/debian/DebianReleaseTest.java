package dev.hangar.builds.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** TDL's version: the number, a point release, or the codename, any case; nothing else. */
class DebianReleaseTest {
    @Test
    void numbersPointReleasesAndCodenamesNameTheSameSuite() {
        assertEquals("bullseye", DebianRelease.of("11").orElseThrow().suite());
        assertEquals("bookworm", DebianRelease.of("12").orElseThrow().suite());
        assertEquals("bookworm", DebianRelease.of("12.7").orElseThrow().suite());
        assertEquals("bookworm", DebianRelease.of(" Bookworm ").orElseThrow().suite());
        assertEquals("trixie", DebianRelease.of("13").orElseThrow().suite());
        assertEquals("trixie", DebianRelease.of("trixie").orElseThrow().suite());
        assertEquals("sid", DebianRelease.of("sid").orElseThrow().suite());
        assertEquals("sid", DebianRelease.of("unstable").orElseThrow().suite());
    }

    @Test
    void releasesGoneFromTheArchiveAndNonsenseAreNotOffered() {
        for (String version : new String[] {"10", "buster", "9", "14x", "12.7.1", "", "bookworm-backports", "stable"}) {
            assertTrue(DebianRelease.of(version).isEmpty(), version);
        }
        assertTrue(DebianRelease.of(null).isEmpty());
    }
}
