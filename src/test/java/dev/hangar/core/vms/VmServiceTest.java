package dev.hangar.core.vms;

import static java.util.stream.Collectors.toSet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.InMemoryUrlPolicy;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.CachedImage;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.CloudInitSeed;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.VmDisks;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.images.Installer;
import dev.hangar.core.images.InstallerSource;
import dev.hangar.core.images.MachineProfile;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.networks.NetworkStore;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.networks.Subnet;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.OperationStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core's decisions, with the adapters replaced by small in-memory stand-ins (the end-to-end
 * suites run the same flows against QEMU, bridges and SQLite): what a VM reads while it waits for its
 * address, how an install ends, what an image may ask for, names and networks.
 */
public class VmServiceTest {
    private static final ImageRef IMAGE = new ImageRef("http://images.test/box.tar.gz", "ab".repeat(32), ChecksumType.SHA256);

    @TempDir
    Path data;
    final Store store = new Store();
    final Driver driver = new Driver();
    final Images images = new Images();
    final Callbacks callbacks = new Callbacks();
    final Fabric fabric = new Fabric();
    final InMemoryUrlPolicy urls = new InMemoryUrlPolicy();
    VmService service;
    NetworkService networks;
    Operations operations;

    @BeforeEach
    void start() throws IOException {
        networks = new NetworkService(new Networks(), fabric, new VmsOnNetwork(store), Clock.systemUTC());
        operations = new Operations(new InMemoryOperationStore(), Clock.systemUTC());
        service = new VmService(new VmService.Ports(store, images, images, location -> new Installer(data.resolve("linux"), data.resolve("initrd.gz")),
                driver, fabric, callbacks, urls), networks, operations,
                new VmSettings(data.resolve("vms"), 2, 1024, Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(50)),
                Clock.systemUTC());
        service.start();
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @Test
    void urlsTheOutboundPolicyRefusesAreRefusedAtOnceAndNothingIsMade() {
        urls.refuseFetch("http://169.254.169.254/box.tar.gz", "link-local")
                .refuseFetch("http://169.254.169.254/tree", "link-local")
                .refuseDelivery("http://127.0.0.1:12345/vms", "Hangar's own port");
        ImageRef metadata = new ImageRef("http://169.254.169.254/box.tar.gz", "ab".repeat(32), ChecksumType.SHA256);
        HangarException image = assertThrows(HangarException.class, () -> service.create(VmRequest.builder().image(metadata).build()));
        assertEquals("image-url-forbidden", image.code());
        assertEquals(HangarException.Kind.INVALID, image.kind());
        assertTrue(image.getMessage().contains("link-local"), image.getMessage());
        HangarException tree = assertThrows(HangarException.class, () -> service.create(VmRequest.builder()
                .boot(new BootSource.NetworkInstall("http://169.254.169.254/tree", null)).build()));
        assertEquals("image-url-forbidden", tree.code());
        HangarException callback = assertThrows(HangarException.class,
                () -> service.create(VmRequest.builder().image(IMAGE).callbackUrl("http://127.0.0.1:12345/vms").build()));
        assertEquals("callback-url-forbidden", callback.code());
        assertTrue(callback.getMessage().contains("own port"), callback.getMessage());
        assertEquals(List.of(), service.list(), "no VM was made for a refused request");
    }

    @Test
    void aGuestThatDiesWhileItsAddressIsAwaitedReadsPoweredOffAndIsCalledBackSo() throws Exception {
        Vm vm = service.create(VmRequest.builder().image(IMAGE).callbackUrl("http://cb.test/").build());
        await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        driver.die(vm.id());
        Vm dead = await(vm.id(), v -> v.status() == VmStatus.POWERED_OFF);
        assertEquals("", dead.ipAddress());
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (callbacks.created.isEmpty() && System.nanoTime() < until) Thread.sleep(20);
        Vm reported = callbacks.created.stream().filter(v -> v.id().equals(vm.id())).findFirst().orElseThrow(
                () -> new AssertionError("no callback within 5 s, though the tools_init_timeout is 30 s"));
        assertEquals(VmStatus.POWERED_OFF, reported.status(), "the callback does not wait for a dead guest's address");
    }

    @Test
    void aVmIsStoppedStartedSuspendedResumedAndRestartedAndEachSaysSoOnItsRecord() throws Exception {
        Vm vm = service.create(VmRequest.builder().image(IMAGE).build());
        await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        assertEquals(VmStatus.SUSPENDED, service.suspend(vm.id()).status());
        assertEquals(MachineState.PAUSED, driver.states.get(vm.id().toString()));
        assertEquals(VmStatus.SUSPENDED, service.suspend(vm.id()).status(), "suspending a suspended VM changes nothing");
        assertEquals(VmStatus.POWERED_ON, service.resume(vm.id()).status());
        assertEquals(VmStatus.POWERED_ON, service.resume(vm.id()).status(), "resuming a running VM changes nothing");

        Operation stop = service.stop(vm.id(), false, Duration.ofSeconds(5));
        assertEquals("vm.stop", stop.kind());
        assertEquals(Operation.Status.SUCCEEDED, awaitEnded(stop.id()).status());
        assertEquals(VmStatus.POWERED_OFF, service.get(vm.id()).status());
        assertEquals(MachineState.STOPPED, driver.states.get(vm.id().toString()));
        assertEquals("vm-not-running", assertThrows(HangarException.class, () -> service.suspend(vm.id())).code());

        assertEquals(VmStatus.POWERED_ON, service.start(vm.id()).status());
        int starts = driver.started.size();
        Operation restart = service.restart(vm.id(), true, Duration.ZERO);
        assertEquals(Operation.Status.SUCCEEDED, awaitEnded(restart.id()).status());
        assertEquals(starts + 1, driver.started.size(), "a restart boots the machine again");
        assertEquals(VmStatus.POWERED_ON, service.get(vm.id()).status());
        assertEquals("invalid-timeout", assertThrows(HangarException.class, () -> service.stop(vm.id(), false, Duration.ofHours(1))).code());
    }

    @Test
    void aCommandRunsInARunningGuestAndWhatItsAgentSaysIsKeptPrintable() throws Exception {
        Vm vm = service.create(VmRequest.builder().image(IMAGE).build());
        await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        assertEquals(new MachineDriver.GuestExit(0, "hello there\n", ""), service.exec(vm.id(), List.of("echo", "hello", "there"), Duration.ofSeconds(5)));
        HangarException missing = assertThrows(HangarException.class, () -> service.exec(vm.id(), List.of("nope"), Duration.ofSeconds(5)));
        assertEquals("vm-no-agent", missing.code());
        assertFalse(missing.getMessage().contains("\u001b"), "the guest's text never carries control characters: " + missing.getMessage());
        assertEquals("invalid-command", assertThrows(HangarException.class, () -> service.exec(vm.id(), List.of(), Duration.ofSeconds(5))).code());
        assertEquals("invalid-timeout", assertThrows(HangarException.class, () -> service.exec(vm.id(), List.of("echo"), Duration.ofHours(1))).code());
        service.suspend(vm.id());
        assertEquals("vm-not-running", assertThrows(HangarException.class, () -> service.exec(vm.id(), List.of("echo"), Duration.ofSeconds(5))).code());
    }

    @Test
    void userDataBecomesASeedAttachedLastWithTheVmsIdAndName() throws Exception {
        Vm named = service.create(VmRequest.builder().image(IMAGE).name("web-1").userData("#!/bin/sh\necho hi\n").build());
        await(named.id(), v -> v.status() == VmStatus.POWERED_ON);
        MachineSpec spec = driver.started.getLast();
        MachineSpec.Disk seed = spec.disks().getLast();
        assertTrue(seed.seed() && seed.bus() == spec.disks().getFirst().bus(), "the seed, on the bus of the VM's disks: " + seed);
        assertFalse(spec.disks().getFirst().seed(), "the clone comes first");
        assertEquals(new CloudInitSeed(named.id().toString(), "web-1", "#!/bin/sh\necho hi\n", null), images.seeds.getLast());

        Vm unnamed = service.create(VmRequest.builder().image(IMAGE).networkConfig("version: 2\n").build());
        await(unnamed.id(), v -> v.status() == VmStatus.POWERED_ON);
        assertEquals("vm-" + unnamed.id().toString().substring(0, 8), images.seeds.getLast().hostname());
        assertEquals("", images.seeds.getLast().userData());

        Vm plain = service.create(VmRequest.builder().image(IMAGE).build());
        await(plain.id(), v -> v.status() == VmStatus.POWERED_ON);
        assertTrue(driver.started.getLast().disks().stream().noneMatch(MachineSpec.Disk::seed), "no user-data, no seed");
    }

    @Test
    void pastTheLimitsACreateIsRefusedAndNothingIsMade() throws Exception {
        service.close();
        service = new VmService(new VmService.Ports(store, images, images, location -> new Installer(data.resolve("linux"), data.resolve("initrd.gz")),
                driver, fabric, callbacks, urls), networks, operations,
                new VmSettings(data.resolve("vms"), 2, 1024, Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(50), new VmLimits(3, 2)),
                Clock.systemUTC());
        service.start();
        images.gate = new java.util.concurrent.CountDownLatch(1);
        Vm first = service.create(VmRequest.builder().image(IMAGE).build());
        Vm second = service.create(VmRequest.builder().image(IMAGE).build());
        HangarException busy = assertThrows(HangarException.class, () -> service.create(VmRequest.builder().image(IMAGE).name("third").build()));
        assertEquals(HangarException.Kind.TOO_MANY, busy.kind());
        assertEquals("too-many-creates", busy.code());
        assertEquals(2, service.list().size(), "the refused create left no record");
        images.gate.countDown();
        await(first.id(), v -> v.status() == VmStatus.POWERED_ON);
        await(second.id(), v -> v.status() == VmStatus.POWERED_ON);
        Vm third = service.create(VmRequest.builder().image(IMAGE).name("third").build());
        HangarException full = assertThrows(HangarException.class, () -> service.create(VmRequest.builder().image(IMAGE).build()));
        assertEquals(HangarException.Kind.FULL, full.kind());
        assertEquals("vm-limit-reached", full.code());
        assertEquals(3, service.list().size());
        await(third.id(), v -> v.status() == VmStatus.POWERED_ON);
        service.delete(first.id());
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (service.find(first.id()).isPresent() && System.nanoTime() < until) Thread.sleep(20);
        assertEquals(VmStatus.CREATING, service.create(VmRequest.builder().image(IMAGE).build()).status(), "one gone, one more may come");
    }

    @Test
    void cancellingACreationDeletesTheVmAndEndsItsOperationCancelled() throws Exception {
        images.gate = new java.util.concurrent.CountDownLatch(1); // a slow download
        Vm vm = service.create(VmRequest.builder().image(IMAGE).build());
        Operation creating = awaitOperation("vm.create", vm.id());

        Operation cancelling = operations.cancel(creating.id());

        assertEquals("cancelling", cancelling.phase());
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (service.find(vm.id()).isPresent() && System.nanoTime() < until) Thread.sleep(20);
        assertTrue(service.find(vm.id()).isEmpty(), "the VM is deleted, as a DELETE while it is made would");
        images.gate.countDown();
        Operation ended = operations.await(creating.id(), Duration.ofSeconds(10));
        assertEquals(Operation.Status.FAILED, ended.status());
        assertEquals("operation-cancelled", ended.error().code());
        Operation deletion = awaitOperation("vm.delete", vm.id());
        assertEquals(Operation.Status.SUCCEEDED, operations.await(deletion.id(), Duration.ofSeconds(10)).status());
        assertTrue(driver.started.isEmpty(), "no machine was started");
    }

    private Operation awaitEnded(UUID operation) throws InterruptedException {
        return operations.await(operation, Duration.ofSeconds(10));
    }

    private Operation awaitOperation(String kind, UUID target) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
            var found = operations.recent().stream().filter(o -> o.kind().equals(kind) && o.target().equals(target.toString())).findFirst();
            if (found.isPresent()) return found.get();
            Thread.sleep(20);
        }
        throw new AssertionError("no " + kind + " operation for " + target);
    }

    @Test
    void aTagFilterMatchesVmsCarryingEveryPairAndRetagReplacesTheTags() {
        Vm both = service.create(VmRequest.builder().image(IMAGE).tags(Map.of("env", "dev", "role", "web")).build());
        Vm envOnly = service.create(VmRequest.builder().image(IMAGE).tags(Map.of("env", "dev")).build());
        service.create(VmRequest.builder().image(IMAGE).tags(Map.of("role", "web")).build());

        assertEquals(List.of(both.id()), service.list(Map.of("env", "dev", "role", "web")).stream().map(Vm::id).toList(),
                "AND, not OR (the seed's plugin matched any one pair)");
        assertEquals(Set.of(both.id(), envOnly.id()), service.list(Map.of("env", "dev")).stream().map(Vm::id).collect(toSet()));
        assertEquals(3, service.list(Map.of()).size());

        service.retag(envOnly.id(), Map.of("env", "prod"));
        assertEquals(Map.of("env", "prod"), service.get(envOnly.id()).tags());
        assertEquals(List.of(both.id()), service.list(Map.of("env", "dev")).stream().map(Vm::id).toList());
        HangarException bad = assertThrows(HangarException.class, () -> service.retag(envOnly.id(), Map.of("", "x")));
        assertEquals("invalid-tags", bad.code());
        assertEquals("vm-not-found", assertThrows(HangarException.class, () -> service.retag(UUID.randomUUID(), Map.of())).code());
    }

    @Test
    void anInstallRunsUntilTheInstallerPowersOffThenTheHostBootsItsDisk() throws Exception {
        Vm vm = service.create(VmRequest.builder().name("ns.example.test").origin(Vm.Origin.HOSTS).memoryMib(512L)
                .boot(new BootSource.NetworkInstall("http://mirror.test/main/installer-amd64", "auto=true"))
                .disks(List.of(new BlankDisk(8), new BlankDisk(100))).build());
        await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        MachineSpec installer = driver.started.getLast();
        assertEquals(data.resolve("linux"), installer.kernel());
        assertEquals("auto=true", installer.cmdline());
        assertTrue(installer.noReboot(), "the installer's reboot ends the machine");
        assertEquals(2, installer.disks().size());
        assertTrue(installer.disks().stream().allMatch(d -> d.bus() == MachineProfile.DiskBus.VIRTIO_SCSI));
        Thread.sleep(200);
        assertEquals(VmStatus.POWERED_ON, service.get(vm.id()).status(), "never powered off before the installer is done");

        driver.die(vm.id()); // the installer powers off
        Vm installed = await(vm.id(), v -> v.status() == VmStatus.POWERED_OFF);
        assertInstanceOf(BootSource.Disk.class, installed.boot());

        service.start(vm.id());
        MachineSpec fromDisk = driver.started.getLast();
        assertNull(fromDisk.kernel(), "boots its first disk");
        assertFalse(fromDisk.noReboot());
        assertEquals(VmStatus.POWERED_ON, service.get(vm.id()).status());
        assertEquals(vm.id(), service.getByName("NS.example.test").id());
        assertTrue(operations.recent().stream().anyMatch(o -> o.kind().equals("vm.install") && o.target().equals(vm.id().toString())
                && o.status() == Operation.Status.SUCCEEDED), "the install is an operation that succeeded: " + operations.recent());
    }

    @Test
    void sizesAnImageAsksForGetTheChecksOfARequest() throws Exception {
        images.profile = new MachineProfile(1, 99_999_999, null, null, null, null, null);
        Vm vm = service.create(VmRequest.builder().image(IMAGE).build());
        Vm failed = await(vm.id(), v -> v.status() == VmStatus.ERROR);
        assertEquals("invalid-memory", failed.error().code());
        assertTrue(driver.started.isEmpty(), "nothing was started");
        Operation op = operations.recent().stream().filter(o -> o.target().equals(vm.id().toString())).findFirst().orElseThrow();
        assertEquals(Operation.Status.FAILED, op.status(), "the creation's operation says why it failed");
        assertEquals("invalid-memory", op.error().code());

        images.profile = new MachineProfile(0, 256, null, null, null, null, null);
        Vm noCpus = service.create(VmRequest.builder().image(IMAGE).build());
        assertEquals("invalid-cpus", await(noCpus.id(), v -> v.status() == VmStatus.ERROR).error().code());

        Vm overridden = service.create(VmRequest.builder().image(IMAGE).cpus(1).build());
        assertEquals(1, await(overridden.id(), v -> v.status() == VmStatus.POWERED_ON).cpus());
    }

    @Test
    void namesAreUniqueAndNetworksMustExist() {
        service.create(VmRequest.builder().name("web").image(IMAGE).build());
        HangarException taken = assertThrows(HangarException.class,
                () -> service.create(VmRequest.builder().name("WEB").image(IMAGE).build()));
        assertEquals("vm-name-taken", taken.code());
        assertEquals(HangarException.Kind.CONFLICT, taken.kind());
        HangarException unknown = assertThrows(HangarException.class,
                () -> service.create(VmRequest.builder().image(IMAGE).networks(List.of("vlan:292")).build()));
        assertEquals("unknown-network", unknown.code());
        assertEquals(HangarException.Kind.INVALID, unknown.kind());
    }

    @Test
    void eachNicHasItsOwnMacOnItsOwnNetworkInOrder() throws Exception {
        networks.define("vlan:10", "br0", 10, null);
        Vm vm = service.create(VmRequest.builder().image(IMAGE).networks(List.of("vlan:10", "nat", "vlan:10")).build());
        assertEquals(List.of("vlan:10", "nat", "vlan:10"), vm.nics().stream().map(Nic::network).toList());
        assertEquals(3, vm.nics().stream().map(Nic::mac).distinct().count());
        await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        assertEquals(vm.nics().stream().map(Nic::mac).toList(), driver.started.getLast().nics().stream().map(MachineSpec.Nic::mac).toList());
        assertEquals("network-in-use", assertThrows(HangarException.class, () -> networks.delete("vlan:10")).code());
        service.delete(vm.id());
        assertTrue(fabric.detached.containsAll(vm.nics()));
        networks.delete("vlan:10");
        assertEquals("network-builtin", assertThrows(HangarException.class, () -> networks.delete("nat")).code());
    }

    @Test
    void deleteEndsTheMachineAndRemovesItsFiles() throws Exception {
        Vm vm = service.create(VmRequest.builder().image(IMAGE).build());
        await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        Path dir = data.resolve("vms").resolve(vm.id().toString());
        assertTrue(Files.isDirectory(dir));
        service.delete(vm.id());
        assertEquals(MachineState.STOPPED, driver.state(dir));
        assertFalse(Files.exists(dir));
        assertEquals("vm-not-found", assertThrows(HangarException.class, () -> service.get(vm.id())).code());
    }

    private Vm await(UUID id, Predicate<Vm> condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Vm vm = null;
        while (System.nanoTime() < until) {
            vm = store.find(id).orElseThrow();
            if (condition.test(vm)) return vm;
            Thread.sleep(20);
        }
        throw new AssertionError("condition not met: " + vm);
    }

    // ---- stand-ins for the adapters ----------------------------------------------------------------

    public static final class Store implements VmStore {
        final Map<UUID, Vm> vms = new ConcurrentHashMap<>();
        final Map<UUID, Boolean> awaiting = new ConcurrentHashMap<>();

        @Override
        public synchronized void insert(Vm vm) {
            if (vm.name() != null && findByName(vm.name()).isPresent()) throw VmService.nameTaken(vm.name());
            vms.put(vm.id(), vm);
            awaiting.put(vm.id(), true);
        }

        @Override
        public boolean update(Vm vm) { return vms.replace(vm.id(), vm) != null; }

        @Override
        public Optional<Vm> find(UUID id) { return Optional.ofNullable(vms.get(id)); }

        @Override
        public Optional<Vm> findByName(String name) { return vms.values().stream().filter(v -> name.equals(v.name())).findFirst(); }

        @Override
        public List<Vm> all() { return vms.values().stream().sorted(Comparator.comparing(Vm::createdAt).reversed()).toList(); }

        @Override
        public boolean macInUse(String mac) { return vms.values().stream().anyMatch(v -> v.nics().stream().anyMatch(n -> n.mac().equals(mac))); }

        @Override
        public List<UUID> awaitingAddress() { return awaiting.keySet().stream().toList(); }

        @Override
        public void reported(UUID id) { awaiting.remove(id); }

        @Override
        public void delete(UUID id) {
            vms.remove(id);
            awaiting.remove(id);
        }
    }

    public static final class Driver implements MachineDriver {
        public final List<MachineSpec> started = new CopyOnWriteArrayList<>();
        public final Map<String, MachineState> states = new ConcurrentHashMap<>();

        public void die(UUID id) { states.put(id.toString(), MachineState.STOPPED); }

        @Override
        public void start(MachineSpec spec) { started.add(spec); states.put(spec.id(), MachineState.RUNNING); }

        @Override
        public MachineState state(Path dir) { return states.getOrDefault(dir.getFileName().toString(), MachineState.STOPPED); }

        @Override
        public void stop(Path dir, Duration grace) { states.put(dir.getFileName().toString(), MachineState.STOPPED); }

        @Override
        public void pause(Path dir) { states.put(dir.getFileName().toString(), MachineState.PAUSED); }

        /** A guest whose agent runs echo and nothing else. */
        @Override
        public GuestExit exec(Path dir, List<String> argv, Duration timeout) throws java.io.IOException {
            if (!argv.getFirst().equals("echo")) throw new java.io.IOException("guest-exec: Failed to execute child process \u001b[31m" + argv.getFirst());
            return new GuestExit(0, String.join(" ", argv.subList(1, argv.size())) + "\n", "");
        }

        @Override
        public void resume(Path dir) { states.put(dir.getFileName().toString(), MachineState.RUNNING); }

        @Override
        public Optional<GuestInfo> guestInfo(Path dir) { return Optional.empty(); }

        @Override
        public Optional<String> vncAddress(Path dir) { return Optional.empty(); }

        @Override
        public String console(Path dir) { return ""; }

        @Override
        public dev.hangar.core.vms.MachineStream openConsole(Path dir) throws java.io.IOException {
            throw new java.io.IOException("no console in this fake");
        }

        @Override
        public dev.hangar.core.vms.MachineStream openScreen(Path dir) throws java.io.IOException {
            throw new java.io.IOException("no screen in this fake");
        }

        @Override
        public void housekeep(Path dir) { }
    }

    public static final class Images implements GoldImages, VmDisks {
        volatile MachineProfile profile = MachineProfile.EMPTY;

        /** When set, every fetch fails with it (a download that fails, an image that does not verify). */
        public volatile HangarException failure;

        /** When set, every fetch waits for it to open (a slow download). */
        public volatile java.util.concurrent.CountDownLatch gate;

        @Override
        public GoldImage obtain(ImageRef ref) {
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HangarException(HangarException.Kind.INTERNAL, "interrupted", "interrupted");
                }
            }
            if (failure != null) throw failure;
            return new GoldImage(ref.cacheKey(), Path.of("/gold"), List.of(Path.of("/gold/disk0.qcow2")), null, null, profile); }

        @Override
        public GoldImage obtainFromLibrary(String name) {
            return new GoldImage("lib-" + name, Path.of("/lib"), List.of(Path.of("/lib/disk0.qcow2")), null, null, profile);
        }

        @Override
        public Optional<GoldImage> cached(ImageRef ref) { return Optional.empty(); }

        @Override
        public Optional<GoldImage> byKey(String key) { return Optional.empty(); }

        @Override
        public List<Path> clone(GoldImage gold, Path vmDir) { return List.of(vmDir.resolve("disk0.qcow2")); }

        @Override
        public void createBlankDisk(Path file, long sizeBytes) { }

        /** The cache, as the tests set it; remove takes from it. */
        public final Map<String, CachedImage> cache = new ConcurrentHashMap<>();

        @Override
        public List<CachedImage> cachedImages() { return List.copyOf(cache.values()); }

        @Override
        public long remove(String key) {
            CachedImage gone = cache.remove(key);
            return gone == null ? 0 : gone.bytes();
        }

        final List<CloudInitSeed> seeds = new CopyOnWriteArrayList<>();

        @Override
        public void createSeedDisk(Path file, CloudInitSeed seed) { seeds.add(seed); }

        @Override
        public void removeLeftovers() { }
    }

    public static final class Callbacks implements CallbackSink {
        final List<Vm> created = new CopyOnWriteArrayList<>();

        @Override
        public void created(Vm vm) { created.add(vm); }

        @Override
        public void failed(Vm vm) { }
    }

    public static final class Fabric implements NetworkFabric {
        final List<Nic> detached = new CopyOnWriteArrayList<>();

        @Override
        public List<Network> builtins() {
            return List.of(new Network(Network.NAT, Network.Kind.NAT, "hangar0", null, Subnet.parse("10.213.0.0/24"), true, Instant.EPOCH));
        }

        @Override
        public void checkAvailable(Network network) { }

        @Override
        public void checkBridgeAllowed(Network network) { }

        @Override
        public NetAttachment attach(Nic nic, Network network) { return NetAttachment.tap(nic.tapName()); }

        @Override
        public void detach(Nic nic, Network network) { detached.add(nic); }

        @Override
        public NetAttachment attachIsolated(Nic nic) { return NetAttachment.tap(nic.tapName()); }

        @Override
        public void detachIsolated(Nic nic) { detached.add(nic); }

        /** When set, every NIC holds a lease (an address derived from its MAC). */
        public volatile boolean leases;

        @Override
        public Optional<String> leasedIp(Nic nic, Network network) {
            return leases ? Optional.of("10.213." + Integer.parseInt(nic.mac().substring(12, 14), 16) + "."
                    + (Integer.parseInt(nic.mac().substring(15, 17), 16) % 250 + 2)) : Optional.empty();
        }

        @Override
        public void remove(Network network) { }

        @Override
        public void removeLeftovers(Collection<Nic> nics, Collection<Network> networks) { }
    }

    public static final class Networks implements NetworkStore {
        final Map<String, Network> all = new ConcurrentHashMap<>();

        @Override
        public void insert(Network network) { all.put(network.name(), network); }

        @Override
        public Optional<Network> find(String name) { return Optional.ofNullable(all.get(name)); }

        @Override
        public List<Network> all() { return new ArrayList<>(all.values()); }

        @Override
        public void delete(String name) { all.remove(name); }
    }

    public static final class InMemoryOperationStore implements OperationStore {
        final Map<UUID, Operation> all = new ConcurrentHashMap<>();

        @Override
        public void save(Operation op) { all.put(op.id(), op); }

        @Override
        public Optional<Operation> find(UUID id) { return Optional.ofNullable(all.get(id)); }

        @Override
        public List<Operation> recent(int limit) { return all.values().stream().limit(limit).toList(); }
    }
}
