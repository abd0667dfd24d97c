package dev.hangar.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.networks.Subnet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseFileTest {
    @Test
    void findsTheAddressLeasedToAMac(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("hangar0.leases");
        Files.writeString(f, """
                1764000000 52:54:00:aa:bb:01 10.213.0.17 guest1 01:52:54:00:aa:bb:01
                1764000001 52:54:00:aa:bb:02 10.213.0.18 * *
                """);
        LeaseFile leases = new LeaseFile(f);
        assertEquals(Optional.of("10.213.0.18"), leases.ipFor("52:54:00:AA:BB:02"));
        assertEquals(Optional.of("10.213.0.17"), leases.ipFor("52:54:00:aa:bb:01"));
        assertTrue(leases.ipFor("52:54:00:aa:bb:03").isEmpty());
        assertEquals("01:52:54:00:aa:bb:01", leases.find("52:54:00:aa:bb:01").orElseThrow().clientId());
        assertEquals(null, leases.find("52:54:00:aa:bb:02").orElseThrow().clientId());
    }

    @Test
    void noFileMeansNoLease(@TempDir Path dir) {
        assertTrue(new LeaseFile(dir.resolve("missing")).ipFor("52:54:00:aa:bb:01").isEmpty());
    }

    @Test
    void subnetsAreSlash24sWithTheHostOnDotOne() {
        Subnet s = Subnet.parse("10.213.0.0/24");
        assertEquals("10.213.0.1", s.gateway());
        assertEquals("10.213.0.0/24", s.cidr());
        assertEquals("10.213.0.10", s.dhcpStart());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Subnet.parse("10.0.0.0/16"));
    }
}
