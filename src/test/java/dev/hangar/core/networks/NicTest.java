package dev.hangar.core.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NicTest {
    /** Prefixes other hypervisors and runtimes give their guests by default. */
    private static final List<String> OTHERS = List.of("52:54:00", "00:16:3e", "00:50:56", "00:0c:29", "00:05:69", "00:1c:14",
            "08:00:27", "0a:00:27", "00:15:5d", "02:42", "00:1c:42", "fa:16:3e");

    @Test
    void macsAreUnicastLocallyAdministeredUnderHangarsOwnPrefix() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String mac = Nic.randomMac();
            assertTrue(mac.matches("a2:68:67(:[0-9a-f]{2}){3}"), mac);
            int first = Integer.parseInt(mac.substring(0, 2), 16);
            assertEquals(0, first & 1, "unicast: " + mac);
            assertEquals(2, first & 2, "locally administered: " + mac);
            assertEquals(2, first & 0xf, "IEEE 802c's quadrant for local administrators (AAI): " + mac);
            for (String other : OTHERS) assertFalse(mac.startsWith(other), mac + " is " + other + "'s");
            seen.add(mac);
        }
        assertTrue(seen.size() > 990, "24 random bits: " + seen.size() + " of 1000 distinct");
    }

    @Test
    void aTapIsNamedAfterTheLastSixDigitsOfItsMac() {
        assertEquals("hgt0a0b0c", new Nic("nat", "a2:68:67:0a:0b:0c").tapName());
        assertEquals("hgt0a0b0c", new Nic("nat", "52:54:00:0a:0b:0c").tapName(), "a client's or an older VM's MAC works alike");
    }
}
