package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.ChecksumType;
import dev.hangar.core.ImageRef;
import dev.hangar.core.NetworkType;
import dev.hangar.core.Problem;
import dev.hangar.core.Vm;
import dev.hangar.core.VmStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    private static Vm vm(Instant created) {
        return new Vm(UUID.randomUUID(), null, new ImageRef("http://h.test/a.tar.gz", "ab".repeat(32), ChecksumType.SHA256),
                2, 1024, NetworkType.NAT, false, 0, "http://cb.test/", Vm.Dialect.IEC,
                "52:54:00:" + UUID.randomUUID().toString().substring(0, 8).replaceAll("(..)(..)(..)(..)", "$1:$2:$3"),
                VmStatus.CREATING, "", "", null, null, created, null, 1024L);
    }

    @Test
    void migratesANewFileToTheLatestVersionOnce(@TempDir Path dir) throws Exception {
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            assertEquals(Database.MIGRATIONS.size(), db.schemaVersion());
        }
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            assertEquals(Database.MIGRATIONS.size(), db.schemaVersion());
        }
    }

    @Test
    void vmsSurviveAReopenAndListNewestFirst(@TempDir Path dir) throws Exception {
        Vm older = vm(Instant.parse("2026-01-01T00:00:00Z"));
        Vm newer = vm(Instant.parse("2026-01-02T00:00:00Z"));
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            VmRepository repo = new VmRepository(db);
            repo.insert(older);
            repo.insert(newer);
            assertTrue(repo.update(older.withIp("10.213.0.5").withStatus(VmStatus.POWERED_ON)));
        }
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            VmRepository repo = new VmRepository(db);
            List<Vm> all = repo.all();
            assertEquals(List.of(newer.id(), older.id()), all.stream().map(Vm::id).toList());
            Vm back = repo.find(older.id()).orElseThrow();
            assertEquals("10.213.0.5", back.ipAddress());
            assertEquals(VmStatus.POWERED_ON, back.status());
            assertEquals(older.withIp("10.213.0.5").withStatus(VmStatus.POWERED_ON), back);
            repo.delete(older.id());
            assertFalse(repo.find(older.id()).isPresent());
            assertFalse(repo.update(older));
        }
    }

    @Test
    void keepsWhyAVmFailed(@TempDir Path dir) throws Exception {
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            VmRepository repo = new VmRepository(db);
            Vm vm = vm(Instant.now());
            repo.insert(vm);
            repo.update(vm.failed(new Problem("image-checksum-mismatch", "expected ab, got cd")));
            Vm back = repo.find(vm.id()).orElseThrow();
            assertEquals(VmStatus.ERROR, back.status());
            assertEquals("image-checksum-mismatch", back.error().code());
        }
    }

    @Test
    void theCallbackOutboxHandsOutWhatIsDue(@TempDir Path dir) throws Exception {
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            Instant now = Instant.parse("2026-01-01T00:00:00Z");
            long id = outbox.enqueue("vm1", "http://cb.test/", "{}", now, Duration.ofMinutes(5));
            assertEquals(1, outbox.due(now, 10).size());
            outbox.retryAt(id, 1, now.plusSeconds(2), "HTTP 503");
            assertTrue(outbox.due(now.plusSeconds(1), 10).isEmpty());
            assertEquals(now.plusSeconds(2), outbox.nextDue().orElseThrow());
            outbox.delivered(id, 2);
            assertTrue(outbox.due(now.plusSeconds(10), 10).isEmpty());
            assertEquals("delivered", outbox.state(id).orElseThrow());
        }
    }
}
