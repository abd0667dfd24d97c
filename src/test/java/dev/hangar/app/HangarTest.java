package dev.hangar.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HangarTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 12345);
    private static final InetSocketAddress ANY = new InetSocketAddress("0.0.0.0", 8420);

    private static Settings.Listeners listeners(InetSocketAddress hosts, Path pem) {
        return new Settings.Listeners(LOOPBACK, hosts, null, List.of(), false, pem, Duration.ofSeconds(60), Duration.ofSeconds(30));
    }

    @Test
    void aCertificateIsMadeOnlyWhenAListenerNeedsOneAndTheOperatorsPemComesFirst(@TempDir Path dir) throws Exception {
        assertEquals(null, Hangar.tlsCertificate(listeners(null, null), dir.resolve("tls"), Clock.systemUTC()));
        assertFalse(Files.exists(dir.resolve("tls")), "no certificate is made when no listener needs one");

        // Any PEM of a key and its certificate will do as the operator's: one made the way Hangar makes its own.
        dev.hangar.security.TlsCertificate.selfSigned(dir.resolve("operator"), List.of("hangar.example"), List.of(), Clock.systemUTC());
        Path pem = dir.resolve("operator").resolve("hangar.pem");
        assertNotNull(Hangar.tlsCertificate(listeners(null, pem), dir.resolve("tls"), Clock.systemUTC()));
        assertFalse(Files.exists(dir.resolve("tls")), "the operator's PEM, not a self-signed one");

        assertNotNull(Hangar.tlsCertificate(listeners(ANY, null), dir.resolve("tls"), Clock.systemUTC()));
        assertTrue(Files.exists(dir.resolve("tls").resolve("hangar.pem")), "a listener off loopback gets the self-signed one");
    }

    @Test
    void theInstanceMarkIsTheSameForADataDirectoryAndDiffersBetweenThem() {
        assertEquals(Hangar.instanceId(Path.of("/var/lib/hangar")), Hangar.instanceId(Path.of("/var/lib/hangar")));
        assertNotEquals(Hangar.instanceId(Path.of("/var/lib/hangar")), Hangar.instanceId(Path.of("/srv/hangar")));
        assertEquals(16, Hangar.instanceId(Path.of("/x")).length(), "8 bytes of hex: short enough for a tap's alias");
    }
}
