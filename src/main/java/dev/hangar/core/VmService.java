package dev.hangar.core;

import dev.hangar.hypervisor.Driver;
import dev.hangar.hypervisor.GuestInfo;
import dev.hangar.hypervisor.MachineSpec;
import dev.hangar.hypervisor.MachineState;
import dev.hangar.hypervisor.NetAttachment;
import dev.hangar.images.GoldImage;
import dev.hangar.images.GoldImageStore;
import dev.hangar.network.Networks;
import dev.hangar.store.VmRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMs from gold images: create (fetch the gold, clone it, wire it, boot it, wait for its address,
 * call back), watch, delete. The record in the database is the truth; creation and deletion run as
 * jobs that a restarted service picks up again from the record's status.
 */
public final class VmService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VmService.class);
    private static final Duration IP_POLL = Duration.ofMillis(100);
    private static final Duration AGENT_POLL = Duration.ofSeconds(2);

    private final VmRepository vms;
    private final GoldImageStore images;
    private final Driver driver;
    private final Networks networks;
    private final CallbackSink callbacks;
    private final VmSettings settings;
    private final Clock clock;
    private final ExecutorService jobs = Executors.newVirtualThreadPerTaskExecutor();
    /** One lock per VM, held while a job or a delete changes the machine, so they never interleave. */
    private final ConcurrentHashMap<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Thread monitor;
    private volatile boolean running = true;

    public VmService(VmRepository vms, GoldImageStore images, Driver driver, Networks networks,
                     CallbackSink callbacks, VmSettings settings, Clock clock) {
        this.vms = vms;
        this.images = images;
        this.driver = driver;
        this.networks = networks;
        this.callbacks = callbacks;
        this.settings = settings;
        this.clock = clock;
        this.monitor = Thread.ofVirtual().name("vm-monitor").unstarted(this::watch);
    }

    /** Adopts what runs, resumes cut-off jobs, removes leftovers; then starts watching. */
    public void start() throws IOException {
        Files.createDirectories(settings.vmsDir());
        images.removeLeftovers();
        Set<String> known = new HashSet<>();
        Set<UUID> unreported = new HashSet<>(vms.awaitingAddress());
        List<Vm> all = vms.all();
        for (Vm vm : all) {
            known.add(vm.id().toString());
            switch (vm.status()) {
                case CREATING -> {
                    log.info("resuming creation of VM {} cut off by a restart", vm.id());
                    jobs.submit(() -> create(vm.id()));
                }
                case DELETING -> jobs.submit(() -> deleteQuietly(vm.id()));
                case POWERED_ON, SUSPENDED, POWERED_OFF -> {
                    if (unreported.contains(vm.id())) {
                        log.info("resuming the address wait and callback of VM {} cut off by a restart", vm.id());
                        jobs.submit(() -> report(vm.id()));
                    } else {
                        refresh(vm);
                    }
                }
                case ERROR -> {
                    if (unreported.contains(vm.id())) jobs.submit(() -> reportFailure(vm.id()));
                }
            }
        }
        removeLeftoverMachines(known);
        networks.removeLeftovers(all);
        monitor.start();
    }

    public Vm create(VmRequest request) {
        request.validated();
        UUID id = UUID.randomUUID();
        // With the image cached, the first answer already shows the image's own cpus, memory and guest OS.
        MachineProfile profile = images.cached(request.image()).map(GoldImage::profile).orElse(MachineProfile.EMPTY);
        String mac;
        do {
            mac = newMac(); // 24 random bits: clashes are rare but real over thousands of VMs
        } while (vms.macInUse(mac));
        Vm vm = sized(new Vm(id, request.name(), request.image(), 0, 0,
                request.networkType() == null ? NetworkType.NAT : request.networkType(), request.gui(),
                request.toolsInitTimeoutSeconds(), blankToNull(request.callbackUrl()), request.dialect(), mac,
                VmStatus.CREATING, "", "", null, null, clock.instant(),
                request.cpus(), request.memoryMib()), profile);
        networks.checkAvailable(vm);
        vms.insert(vm);
        log.info("VM {} accepted: image {}", id, request.image().url());
        jobs.submit(() -> create(id));
        return vm;
    }

    /** The VM; 409 vm-open-error when its record says it exists on disk but its files are gone. */
    public Vm get(UUID id) {
        Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
        if (vm.status().isSettled() && !Files.isDirectory(dir(id))) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-open-error",
                    "the files of VM " + id + " are missing from " + dir(id) + "; DELETE removes what is left of it");
        }
        return vm;
    }

    public List<Vm> list() {
        return vms.all();
    }

    /** Powers the VM off (cleanly, then hard) and removes its clone, files, port, lease and record. */
    public void delete(UUID id) {
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
            vms.update(vm.withStatus(VmStatus.DELETING));
            Path dir = dir(id);
            driver.stop(dir, settings.deleteGrace());
            networks.detach(vm);
            FileTrees.delete(dir);
            vms.delete(id);
            log.info("VM {} deleted", id);
        } finally {
            lock.unlock();
            locks.remove(id, lock);
        }
    }

    // ---- the creation job ------------------------------------------------------------------------

    private void create(UUID id) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null) return;
        try {
            GoldImage gold = images.obtain(vm.image());
            if (boot(id, gold)) report(id);
        } catch (HangarException e) {
            if (!running) return; // cut off by shutdown: the record says creating, the next start resumes it
            // Failures of this host (not of the image or the request) all read vm-create-failed.
            fail(id, e.kind() == HangarException.Kind.INTERNAL ? new Problem("vm-create-failed", e.getMessage()) : Problem.of(e));
        } catch (IOException | RuntimeException e) {
            if (!running) return;
            log.warn("creating VM {} failed", id, e);
            fail(id, new Problem("vm-create-failed", e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    /**
     * Clones, wires and starts the machine under the VM's lock; false when the VM was deleted meanwhile.
     * A failure here reaches {@link #fail}, which stops whatever was started; at shutdown nothing is
     * stopped and the next start adopts the machine.
     */
    private boolean boot(UUID id, GoldImage gold) throws IOException {
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Vm vm = vms.find(id).orElse(null);
            if (vm == null || vm.status() != VmStatus.CREATING) return false;
            MachineProfile p = gold.profile();
            vm = sized(vm, p);
            Path dir = dir(id);
            Files.createDirectories(dir);
            List<Path> clones = images.clone(gold, dir);
            NetAttachment net = networks.attach(vm);
            if (driver.state(dir) == MachineState.STOPPED) {
                driver.start(new MachineSpec(id.toString(), dir, vm.cpus(), vm.memoryMib(), clones, p.diskBus(),
                        p.firmware(), gold.kernel(), gold.initrd(), p.cmdline(), p.nic(), vm.mac(), net, vm.gui()));
            }
            vms.update(vm.withStatus(VmStatus.POWERED_ON).withVnc(driver.vncAddress(dir).orElse(null)));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Cpus and memory as the request gave them, else as the image says, else the service default. */
    private Vm sized(Vm vm, MachineProfile image) {
        return vm.withHardware(
                        vm.requestedCpus() != null ? vm.requestedCpus() : or(image.cpus(), settings.defaultCpus()),
                        vm.requestedMemoryMib() != null ? vm.requestedMemoryMib() : mib(image.memoryMib(), settings.defaultMemoryMib()))
                .withGuestOs(or(image.guestOs(), vm.guestOs()));
    }

    /**
     * The last phase of a creation: waits for the guest's address until tools_init_timeout, records it,
     * and calls back either way. The lease file is read every poll; the guest agent, which costs a
     * timeout when the guest has none, only every {@link #AGENT_POLL}. The VM stays marked "awaiting
     * address" until its callback is in the outbox, so a restart in between resumes here.
     */
    private void report(UUID id) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null) return;
        Duration timeout = vm.toolsInitTimeoutSeconds() > 0
                ? Duration.ofSeconds(vm.toolsInitTimeoutSeconds()) : settings.toolsInitTimeout();
        Instant until = clock.instant().plus(timeout);
        Instant nextAgentQuery = clock.instant();
        Vm observed;
        while (true) {
            if (!running) return;
            boolean askAgent = !clock.instant().isBefore(nextAgentQuery);
            if (askAgent) nextAgentQuery = clock.instant().plus(AGENT_POLL);
            observed = observeGuest(vm, askAgent);
            if (!observed.ipAddress().isEmpty() || clock.instant().isAfter(until)) break;
            sleep(IP_POLL);
            vm = vms.find(id).orElse(null);
            if (vm == null || vm.status() == VmStatus.DELETING) return;
        }
        if (observed.ipAddress().isEmpty()) log.info("VM {}: no address within {}", id, timeout);
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Vm current = vms.find(id).orElse(null);
            if (current == null || !current.status().isSettled()) return; // deleted meanwhile
            Vm done = current.withIp(observed.ipAddress()).withGuestOs(observed.guestOs());
            if (!done.equals(current)) vms.update(done);
            callbacks.created(done);
            vms.reported(id);
        } finally {
            lock.unlock();
        }
    }

    /** The VM with its address and guest OS filled in from the DHCP lease or, if asked, the guest agent. */
    private Vm observeGuest(Vm vm, boolean askAgent) {
        String ip = networks.leasedIp(vm).orElse("");
        String os = vm.guestOs();
        if (askAgent && (ip.isEmpty() || os.isEmpty())) {
            Optional<GuestInfo> agent = driver.guestInfo(dir(vm.id()));
            if (agent.isPresent()) {
                if (ip.isEmpty()) ip = agent.get().ipAddress();
                if (os.isEmpty()) os = agent.get().osName();
            }
        }
        return vm.withIp(ip.isEmpty() ? vm.ipAddress() : ip).withGuestOs(os);
    }

    private void fail(UUID id, Problem problem) {
        log.warn("VM {} failed: {} ({})", id, problem.code(), problem.message());
        stopQuietly(id);
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Optional<Vm> vm = vms.find(id);
            if (vm.isEmpty() || vm.get().status() == VmStatus.DELETING) return;
            networks.detach(vm.get());
            vms.update(vm.get().failed(problem));
        } finally {
            lock.unlock();
        }
        reportFailure(id);
    }

    /** Calls back with the failure, then marks it reported; a restart in between calls back again. */
    private void reportFailure(UUID id) {
        vms.find(id).filter(vm -> vm.status() == VmStatus.ERROR).ifPresent(vm -> {
            callbacks.failed(vm);
            vms.reported(id);
        });
    }

    // ---- watching --------------------------------------------------------------------------------

    /** Every few seconds, each settled VM whose creation has reported is brought up to date. */
    private void watch() {
        while (running) {
            sleep(settings.monitorInterval());
            Set<UUID> unreported = new HashSet<>(vms.awaitingAddress()); // their creation job owns them
            for (Vm vm : vms.all()) {
                if (unreported.contains(vm.id())) continue;
                try {
                    refresh(vm);
                } catch (RuntimeException e) {
                    log.warn("watching VM {}: {}", vm.id(), e.toString());
                }
            }
        }
    }

    /**
     * Brings a settled VM's status (and missing address, from its lease) in line with what the
     * hypervisor says. Skips a VM whose lock is held: a delete or a job is changing it right now.
     */
    private void refresh(Vm seen) {
        if (!seen.status().isSettled()) return;
        ReentrantLock lock = lock(seen.id());
        if (!lock.tryLock()) return;
        try {
            Vm vm = vms.find(seen.id()).orElse(null);
            if (vm == null || !vm.status().isSettled()) return;
            VmStatus status = switch (driver.state(dir(vm.id()))) {
                case RUNNING -> VmStatus.POWERED_ON;
                case PAUSED -> VmStatus.SUSPENDED;
                case STOPPED -> VmStatus.POWERED_OFF;
                case UNKNOWN -> vm.status();
            };
            Vm now = vm.withStatus(status);
            if (status == VmStatus.POWERED_ON && vm.ipAddress().isEmpty()) now = observeGuest(now, false);
            if (!now.equals(vm)) {
                if (status != vm.status()) log.info("VM {} is {}", vm.id(), status.wireName());
                vms.update(now);
            }
        } finally {
            lock.unlock();
        }
    }

    private void removeLeftoverMachines(Set<String> known) throws IOException {
        try (Stream<Path> dirs = Files.list(settings.vmsDir())) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                if (known.contains(dir.getFileName().toString())) continue;
                log.info("removing leftover VM directory {} (no record)", dir);
                driver.stop(dir, Duration.ZERO);
                FileTrees.delete(dir);
            }
        }
    }

    // ---- small helpers ---------------------------------------------------------------------------

    private void deleteQuietly(UUID id) {
        try {
            delete(id);
        } catch (HangarException e) {
            // already gone
        }
    }

    private void stopQuietly(UUID id) {
        try {
            driver.stop(dir(id), Duration.ZERO);
        } catch (RuntimeException e) {
            log.warn("stopping VM {}: {}", id, e.toString());
        }
    }

    private ReentrantLock lock(UUID id) {
        return locks.computeIfAbsent(id, k -> new ReentrantLock());
    }

    private Path dir(UUID id) {
        return settings.vmsDir().resolve(id.toString());
    }

    /** What every face answers for an id that names no VM. */
    public static HangarException notFound(String id) {
        return new HangarException(HangarException.Kind.NOT_FOUND, "vm-not-found", "The requested virtual machine ID was not found: " + id);
    }

    /** A MAC in QEMU's locally administered 52:54:00 range. */
    static String newMac() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(b);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static long mib(Integer value, long fallback) {
        return value != null ? value : fallback;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops watching and cuts off running jobs; VMs keep running and creations resume at the next start. */
    @Override
    public void close() {
        running = false;
        monitor.interrupt();
        jobs.shutdownNow();
        try {
            jobs.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
