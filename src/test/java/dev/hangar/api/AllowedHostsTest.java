package dev.hangar.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which host names a listener answers to: its own address, localhost over loopback, the operator's names. */
class AllowedHostsTest {
    private final AllowedHosts none = new AllowedHosts(List.of());

    @Test
    void overLoopbackTheLoopbackNamesOnAnyPort() {
        for (String host : List.of("localhost", "localhost:12345", "LocalHost.", "127.0.0.1:1", "[::1]:80", "[::1]")) {
            assertTrue(none.allows(host, "127.0.0.1"), host);
        }
        assertTrue(none.allows("[::1]:12345", "::1"));
        assertTrue(none.allows("[0:0:0:0:0:0:0:1]", "::1"), "any spelling of the address the connection came to");
    }

    @Test
    void aRebindingNameOrAnotherAddressIsNot() {
        for (String host : List.of("rebind.evil.example:12345", "127.0.0.2", "localhost.evil.example", "127.0.0.1.nip.io", "",
                "::1", "[::1", "0x7f000001", "2130706433")) {
            assertFalse(none.allows(host, "127.0.0.1"), host);
        }
    }

    @Test
    void offLoopbackOnlyTheAddressItCameToAndTheConfiguredNames() {
        AllowedHosts named = new AllowedHosts(List.of("Hangar.Example.org"));
        assertTrue(named.allows("10.0.0.5:8443", "10.0.0.5"));
        assertTrue(named.allows("hangar.example.org:8443", "10.0.0.5"));
        assertTrue(named.allows("hangar.example.org", "127.0.0.1"), "the operator's names on every listener");
        assertFalse(named.allows("localhost:8443", "10.0.0.5"), "localhost only over loopback");
        assertFalse(named.allows("10.0.0.6", "10.0.0.5"));
    }

    @Test
    void theHostOfAnAuthorityDropsItsPortAndKeepsV6Brackets() {
        assertEquals("[::1]", AllowedHosts.hostOf("[::1]:80"));
        assertEquals("example.org", AllowedHosts.hostOf("example.org:80"));
        assertEquals("example.org", AllowedHosts.hostOf("example.org"));
        assertEquals("", AllowedHosts.hostOf("::1"), "an unbracketed v6 literal is no authority");
    }
}
