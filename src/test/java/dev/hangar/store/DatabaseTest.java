package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.networks.Subnet;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    private static Vm vm(Instant created) {
        return Vm.builder().id(UUID.randomUUID())
                .boot(new BootSource.Image(new ImageRef("http://h.test/a.tar.gz", "ab".repeat(32), ChecksumType.SHA256)))
                .cpus(2).memoryMib(1024).callbackUrl("http://cb.test/")
                .nics(List.of(new Nic("nat", mac())))
                .status(VmStatus.CREATING).createdAt(created).requestedMemoryMib(1024L).build();
    }

    private static String mac() {
        return "52:54:00:" + UUID.randomUUID().toString().substring(0, 6).replaceAll("(..)(..)(..)", "$1:$2:$3");
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
    void theDatabaseAndItsWalAreTheServicesAloneAndAnOldReadableOneIsMadeSo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hangar.db");
        try (Database db = Database.open(file)) {
            new VmRepository(db).insert(vm(Instant.parse("2026-01-01T00:00:00Z")));
            for (String name : java.util.List.of("hangar.db", "hangar.db-wal")) {
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                        java.nio.file.Files.getPosixFilePermissions(dir.resolve(name))), name);
            }
        }
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        try (Database db = Database.open(file)) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(file)),
                    "a database an earlier version left readable by every local user");
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

    @Test
    void aHostWithEverythingTheModelHoldsComesBackWhole(@TempDir Path dir) throws Exception {
        Vm host = Vm.builder().id(UUID.randomUUID()).name("web.example.test").tags(Map.of("role", "web"))
                .origin(Vm.Origin.HOSTS).boot(new BootSource.NetworkInstall("http://mirror.test/installer-amd64", "auto=true"))
                .cpus(1).memoryMib(512).disks(List.of(new BlankDisk(8), new BlankDisk(100)))
                .nics(List.of(new Nic("vlan:10", mac()), new Nic("nat", mac()))).dialect(Vm.Dialect.MIB)
                .status(VmStatus.POWERED_ON).createdAt(Instant.parse("2026-01-01T00:00:00Z")).build();
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            VmRepository repo = new VmRepository(db);
            repo.insert(host);
            assertEquals(host, repo.findByName("web.example.test").orElseThrow());
            assertTrue(repo.macInUse(host.nics().get(1).mac()));
            assertFalse(repo.macInUse("52:54:00:ff:ff:ff"));
            Vm twin = vm(Instant.now()).toBuilder().name("web.example.test").build();
            assertEquals("vm-name-taken", assertThrows(HangarException.class, () -> repo.insert(twin)).code());
        }
    }

    @Test
    void networksAndOperationsArePersisted(@TempDir Path dir) throws Exception {
        Network vlan = new Network("vlan:292", Network.Kind.OVS, "br0", 292, Subnet.parse("10.50.0.0/24"), false,
                Instant.parse("2026-01-01T00:00:00Z"));
        Operation op = Operation.start(UUID.randomUUID(), "vm.create", "x", Instant.parse("2026-01-01T00:00:00Z"))
                .at(60, "starting", Instant.parse("2026-01-01T00:00:01Z"));
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            new NetworkRepository(db).insert(vlan);
            assertEquals("network-exists", assertThrows(HangarException.class, () -> new NetworkRepository(db).insert(vlan)).code());
            new OperationRepository(db).save(op);
        }
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            assertEquals(List.of(vlan), new NetworkRepository(db).all());
            assertEquals(op, new OperationRepository(db).find(op.id()).orElseThrow());
            Operation failed = op.failed(new Problem("image-download-failed", "HTTP 404"), Instant.parse("2026-01-01T00:00:02Z"));
            new OperationRepository(db).save(failed);
            assertEquals(List.of(failed), new OperationRepository(db).recent(10));
        }
    }

    /** A database of the first version (schema 2) with a VM: after the upgrade the VM, its IP and its NIC are all there. */
    @Test
    void aDatabaseOfTheFirstVersionKeepsItsVmsAndTheirAddresses(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hangar.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            for (int v = 1; v <= 2; v++) {
                String name = Database.MIGRATIONS.get(v - 1);
                String sql = new String(Database.class.getResourceAsStream("/db/" + name).readAllBytes(), StandardCharsets.UTF_8);
                for (String stmt : sql.replaceAll("(?m)--.*$", "").split(";")) if (!stmt.isBlank()) s.execute(stmt);
                s.execute("INSERT INTO schema_version VALUES (" + v + ", '" + name + "', datetime('now'))");
            }
            s.execute("INSERT INTO vms (id, name, image_url, image_checksum, image_checksum_type, cpus, memory_mib, network_type, gui,"
                    + " tools_init_timeout, callback_url, dialect, mac, status, ip_address, guest_os, vnc, error_code, error_message,"
                    + " created_at, requested_cpus, requested_memory_mib, awaiting_address) VALUES ('0b1e6a52-7f3c-4e0a-9d1c-2f5b8a4c0d11',"
                    + " NULL, 'http://h.test/box.tar.gz', '" + "ab".repeat(32) + "', 'sha256', 1, 256, 'hostonly', 1, 30, 'http://cb.test/',"
                    + " 'MIB', '52:54:00:0a:0b:0c', 'powered-on', '10.214.0.23', 'linux', '127.0.0.1:5900', NULL, NULL, 1767225600000,"
                    + " NULL, 256, 0)");
        }
        try (Database db = Database.open(file)) {
            assertEquals(Database.MIGRATIONS.size(), db.schemaVersion());
            Vm vm = new VmRepository(db).find(UUID.fromString("0b1e6a52-7f3c-4e0a-9d1c-2f5b8a4c0d11")).orElseThrow();
            assertEquals("10.214.0.23", vm.ipAddress());
            assertEquals(VmStatus.POWERED_ON, vm.status());
            assertEquals(List.of(new Nic("hostonly", "52:54:00:0a:0b:0c")), vm.nics());
            assertEquals(new ImageRef("http://h.test/box.tar.gz", "ab".repeat(32), ChecksumType.SHA256), vm.image().orElseThrow());
            assertEquals(Vm.Dialect.MIB, vm.dialect());
            assertEquals(256L, vm.requestedMemoryMib());
            assertTrue(vm.gui());
            assertEquals("127.0.0.1:5900", vm.vnc());
            assertTrue(new VmRepository(db).awaitingAddress().isEmpty());
            assertTrue(new VmRepository(db).macInUse("52:54:00:0a:0b:0c"));
        }
    }
}
