package dev.hangar.network;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.networks.LeaseChanges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wait for a lease ends when dnsmasq writes its lease file, not at the next poll; other files do not end it. */
class LeaseWatchTest {
    @TempDir
    Path dir;

    @Test
    void aWaitEndsWhenTheLeaseFileIsWrittenAndLastsItsTimeOtherwise() throws Exception {
        Path leases = dir.resolve("hgbr0.leases");
        try (LeaseChanges watch = LeaseWatch.of(List.of(leases))) {
            long start = System.nanoTime();
            Files.writeString(dir.resolve("hgbr0.dnsmasq.pid"), "1"); // not a lease file
            watch.await(Duration.ofMillis(400));
            long quiet = (System.nanoTime() - start) / 1_000_000;

            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(200);
                    Files.writeString(leases, "1700000000 52:54:00:12:34:56 10.213.0.50 vm *\n");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            start = System.nanoTime();
            watch.await(Duration.ofSeconds(20));
            long woken = (System.nanoTime() - start) / 1_000_000;

            assertTrue(quiet >= 390, "a write to another file does not end the wait: " + quiet + " ms");
            assertTrue(woken >= 150 && woken < 5000, "the lease ended the wait, not the 20 s: " + woken + " ms");
        }
    }

    @Test
    void aChangeBeforeTheWaitEndsItAtOnce() throws Exception {
        Path leases = Files.writeString(dir.resolve("hgbr0.leases"), "");
        try (LeaseChanges watch = LeaseWatch.of(List.of(leases))) {
            Files.writeString(leases, "1700000000 52:54:00:12:34:56 10.213.0.50 vm *\n"); // between the look and the wait
            long start = System.nanoTime();
            watch.await(Duration.ofSeconds(20));
            assertTrue((System.nanoTime() - start) / 1_000_000 < 5000, "the change was not missed");
        }
    }

    @Test
    void aLeaseFileInADirectoryThatIsNotThereYetWaitsItsTime() throws Exception {
        try (LeaseChanges watch = LeaseWatch.of(List.of(dir.resolve("missing").resolve("x.leases")))) {
            long start = System.nanoTime();
            watch.await(Duration.ofMillis(100));
            assertTrue((System.nanoTime() - start) / 1_000_000 >= 95);
        }
    }
}
