package dev.hangar.core.vms;

import dev.hangar.core.Cancellation;
import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.InstallerSource;
import dev.hangar.core.images.MachineProfile;
import dev.hangar.core.images.VmDisks;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.RunningOperation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * VMs, as every face asks for them: create, get (by id or name), list, start, delete, console. The
 * record in the database is the truth. The work is done by parts named for what they do:
 * {@link CreationJob} (fetch, clone, wire, boot, wait for the address, call back), {@link VmMonitor}
 * (status, addresses, the end of installs), {@link Adoption} (what happens at start),
 * {@link MachineLauncher} (a record made a running machine) and {@link Sizing}.
 */
public final class VmService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VmService.class);

    /** The adapters the core needs; the composition root (app/Hangar) passes them in. */
    public record Ports(VmStore vms, GoldImages images, VmDisks disks, InstallerSource installers, MachineDriver driver,
                        NetworkFabric fabric, CallbackSink callbacks, UrlPolicy urls, WarmTemplates templates) {
        /** Without warm starts: every VM boots cold. */
        public Ports(VmStore vms, GoldImages images, VmDisks disks, InstallerSource installers, MachineDriver driver,
                     NetworkFabric fabric, CallbackSink callbacks, UrlPolicy urls) {
            this(vms, images, disks, installers, driver, fabric, callbacks, urls, WarmTemplates.none());
        }
    }

    private final WatchedVmStore vms;
    private final GoldImages images;
    private final UrlPolicy urls;
    private final MachineDriver driver;
    private final NetworkService networks;
    private final Operations operations;
    private final VmSettings settings;
    private final Clock clock;
    private final VmLocks locks = new VmLocks();
    private final MachineLauncher launcher;
    private final WarmStarts warm;
    private final WarmPools pools;
    private final CreationJob creation;
    private final DeletionJob deletion;
    private final VmMonitor monitor;
    private final Adoption adoption;
    private final ExecutorService jobs = Executors.newVirtualThreadPerTaskExecutor();
    private final java.util.concurrent.locks.ReentrantLock admission = new java.util.concurrent.locks.ReentrantLock();
    private final Thread monitorThread;
    private volatile boolean running = true;

    public VmService(Ports ports, NetworkService networks, Operations operations, VmSettings settings, Clock clock) {
        this.vms = new WatchedVmStore(ports.vms());
        this.images = ports.images();
        this.urls = ports.urls();
        this.driver = ports.driver();
        this.networks = networks;
        this.operations = operations;
        this.settings = settings;
        this.clock = clock;
        this.warm = new WarmStarts(driver, ports.templates(), images, ports.disks(), ports.fabric(), settings, clock, () -> running);
        this.launcher = new MachineLauncher(images, ports.disks(), ports.installers(), driver, ports.fabric(), networks, settings, warm);
        GuestObserver guests = new GuestObserver(driver, launcher, ports.fabric(), networks);
        this.pools = new WarmPools(warm, launcher, guests, driver, ports.templates(), images, settings, vms::macInUse, clock, () -> running);
        warm.attach(pools);
        // Calling off a creation (or an install) deletes the VM, as a DELETE does while it is being made.
        this.creation = new CreationJob(vms, launcher, pools, driver, guests, ports.callbacks(), operations, locks, settings, clock, () -> running,
                this::callOff);
        this.deletion = new DeletionJob(vms, launcher, driver, creation, operations, locks, settings);
        this.monitor = new VmMonitor(vms, driver, launcher, guests, operations, locks, settings.monitorInterval(), () -> running);
        this.adoption = new Adoption(vms, images, ports.installers(), driver, ports.fabric(), networks, creation, deletion, monitor, settings);
        this.monitorThread = Thread.ofVirtual().name("vm-monitor").unstarted(monitor::watch);
    }

    /** Adopts what runs, resumes cut-off jobs, removes leftovers; then starts watching. */
    public void start() throws IOException {
        warm.removeLeftovers();
        adoption.adopt(jobs);
        pools.fillAll();
        monitorThread.start();
    }

    /** Spares ready in the warm pools, and the memory they hold: for /metrics. */
    public long poolSpares() {
        return pools.spares();
    }

    public long poolResidentBytes() {
        return pools.residentBytes();
    }

    /** The golds pool spares run from: in use, as VMs' golds are (the image cache keeps them). */
    public Set<String> pooledGolds() {
        return pools.pooledGolds();
    }

    /** Warm starts: images' warm settings and their memory templates. */
    public WarmStarts warmStarts() {
        return warm;
    }

    /**
     * Calls the watcher with every VM record written or removed (a removed one reads deleting), on the
     * writer's thread: it must only take note and return.
     */
    public void watch(java.util.function.Consumer<Vm> watcher) {
        vms.watch(watcher);
    }

    /** Accepts the request (checked up front) and starts its creation job; the VM comes back "creating". */
    public Vm create(VmRequest request) {
        return create(request, Runnable::run);
    }

    /**
     * The same, the creation job started through {@code starter}: a face passes what runs once its answer
     * has been sent, so the job (a qemu-img, a QEMU starting) does not compete with the answer for the
     * CPU. The record is in the store before this returns either way; a job the starter never ran is
     * resumed at the next start, as any cut-off creation is.
     */
    public Vm create(VmRequest request, java.util.concurrent.Executor starter) {
        request.validated();
        checkUrls(request);
        String name = request.name() == null ? null : VmRequest.checkedHostname(request.name());
        if (name != null && vms.findByName(name).isPresent()) throw nameTaken(name);
        List<Nic> nics = new ArrayList<>();
        for (String network : request.networks()) {
            networks.checkUsable(networks.resolve(network));
            nics.add(new Nic(network, freshMac(nics)));
        }
        // With the image cached, the first answer already shows the image's own cpus, memory and guest OS.
        Optional<GoldImage> gold = request.boot() instanceof BootSource.Image i ? images.cached(i.image()) : Optional.empty();
        MachineProfile profile = gold.map(GoldImage::profile).orElse(MachineProfile.EMPTY);
        // A pool's spare, when one fits: the VM takes its id and NIC, and its creation runs it on.
        boolean plain = request.userData() == null && request.networkConfig() == null && request.disks().isEmpty() && !request.gui();
        Optional<WarmPools.Spare> spare = gold.flatMap(g -> pools.take(g.key(), request.networks(), request.cpus(), request.memoryMib(), plain));
        if (spare.isPresent()) nics = List.of(spare.get().nic());
        Vm vm = Sizing.sized(Vm.builder().id(spare.map(WarmPools.Spare::id).orElseGet(UUID::randomUUID)).name(name).tags(request.tags()).origin(request.origin())
                .boot(request.boot()).requestedCpus(request.cpus()).requestedMemoryMib(request.memoryMib())
                .disks(request.disks()).nics(nics).gui(request.gui()).toolsInitTimeoutSeconds(request.toolsInitTimeoutSeconds())
                .callbackUrl(blankToNull(request.callbackUrl())).dialect(request.dialect())
                .userData(request.userData()).networkConfig(request.networkConfig()).status(VmStatus.CREATING)
                .createdAt(clock.instant()).build(), profile, settings);
        try {
            admit(vm);
        } catch (RuntimeException refused) {
            spare.ifPresent(pools::giveBack);
            throw refused;
        }
        log.info("VM {} accepted{}: {}{}", vm.id(), name == null ? "" : " as " + name, describe(vm.boot()), spare.isPresent() ? " (a pool's spare)" : "");
        starter.execute(() -> jobs.submit(() -> creation.run(vm.id())));
        return vm;
    }

    /**
     * Inserts the record if the limits allow one more VM and one more creation at once; the count and the
     * insert are one step, so concurrent creates cannot together pass a limit.
     */
    private void admit(Vm vm) {
        admission.lock();
        try {
            List<Vm> all = vms.all();
            long kept = all.stream().filter(v -> v.status() != VmStatus.DELETING).count();
            if (kept >= settings.limits().maxVms()) {
                throw new HangarException(HangarException.Kind.FULL, "vm-limit-reached",
                        "this service keeps at most " + settings.limits().maxVms() + " VMs; delete one first");
            }
            long creating = all.stream().filter(v -> v.status() == VmStatus.CREATING).count();
            if (creating >= settings.limits().maxConcurrentCreates()) {
                throw new HangarException(HangarException.Kind.TOO_MANY, "too-many-creates",
                        creating + " VMs are being created, the most at once; ask again when one is done");
            }
            vms.insert(vm);
        } finally {
            admission.unlock();
        }
    }

    /**
     * Refuses (400) a request whose image or install tree Hangar must not fetch ({@code image-url-forbidden})
     * or whose callback it must not send ({@code callback-url-forbidden}), as the outbound policy says now;
     * redirects are checked when they happen, and end the VM in error with the same code.
     */
    public void checkUrls(VmRequest request) {
        String fetched = switch (request.boot()) {
            case BootSource.Image i -> i.image() == null ? null : i.image().url();
            case BootSource.NetworkInstall n -> n.location();
            case BootSource.Disk d -> null;
            case BootSource.Library l -> null;
        };
        if (fetched != null) {
            urls.fetchRefusal(fetched).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "Hangar does not fetch " + fetched + ": " + why);
            });
        }
        String callback = blankToNull(request.callbackUrl());
        if (callback != null) {
            urls.deliveryRefusal(callback).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.CALLBACK_URL_FORBIDDEN, "Hangar does not call back " + callback + ": " + why);
            });
        }
    }

    /**
     * The lock a create holds while it counts and inserts its record. Whoever removes a gold image holds
     * it too while it decides and removes, so no VM can be accepted between the decision that nobody
     * uses the gold and its removal (a VM accepted after simply fetches the image again).
     */
    public java.util.concurrent.locks.Lock admissions() {
        return admission;
    }

    /** The VM; 409 vm-open-error when its record says it exists on disk but its files are gone. */
    public Vm get(UUID id) {
        Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
        if (vm.status().isSettled() && !Files.isDirectory(launcher.dir(id))) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-open-error",
                    "the files of VM " + id + " are missing from " + launcher.dir(id) + "; DELETE removes what is left of it");
        }
        return vm;
    }

    /** The VM's record as it is, files or not (a face that must remove what is left of it uses this). */
    public java.util.Optional<Vm> find(UUID id) {
        return vms.find(id);
    }

    public Vm getByName(String name) {
        return vms.findByName(name.toLowerCase(java.util.Locale.ROOT)).orElseThrow(() -> notFound(name));
    }

    public List<Vm> list() {
        return vms.all();
    }

    /** The VMs that carry every one of these tags (AND: the seed's plugin matched any one by mistake), newest first. */
    public List<Vm> list(java.util.Map<String, String> tags) {
        return vms.all().stream().filter(vm -> vm.hasTags(tags)).toList();
    }

    /** Replaces the VM's tags. */
    public Vm retag(UUID id, java.util.Map<String, String> tags) {
        VmRequest.checkedTags(tags);
        return locks.with(id, () -> {
            Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
            Vm tagged = vm.toBuilder().tags(tags).build();
            vms.update(tagged);
            return tagged;
        });
    }

    /** Boots a powered-off VM from its disks; a running one is left as it is. 409 vm-not-startable otherwise. */
    public Vm start(UUID id) {
        return locks.with(id, () -> {
            Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
            switch (vm.status()) {
                case POWERED_ON, SUSPENDED -> {
                    return vm;
                }
                case POWERED_OFF -> { }
                default -> throw new HangarException(HangarException.Kind.CONFLICT, "vm-not-startable",
                        "VM " + id + " is " + vm.status().wireName() + "; only a powered-off VM can be started");
            }
            try {
                Vm started = launcher.launch(vm, launcher.media(vm, GoldImages.FetchProgress.NONE, Cancellation.NEVER));
                vms.update(started);
                log.info("VM {} started", id);
                return started;
            } catch (IOException e) {
                throw new HangarException(HangarException.Kind.INTERNAL, "vm-start-failed", "VM " + id + " did not start: " + e.getMessage(), e);
            }
        });
    }

    /** How long a stop waits for the guest to power off after the ACPI power button at most. */
    public static final Duration MAX_STOP_TIMEOUT = Duration.ofMinutes(10);

    /**
     * Powers the VM off: the ACPI power button, then, after {@code timeout} (at once with
     * {@code force}), a hard stop. Its disks, address and record stay; {@link #start} boots it again.
     * Runs as an operation (vm.stop), which this returns; a powered-off VM's ends at once.
     */
    public Operation stop(UUID id, boolean force, Duration timeout) {
        return powerOperation(VmOperationKinds.STOP, "stopped", id, force, timeout, op -> { });
    }

    /** Powers the VM off as {@link #stop} does, then boots it again: an operation (vm.restart). */
    public Operation restart(UUID id, boolean force, Duration timeout) {
        return powerOperation(VmOperationKinds.RESTART, "restarted", id, force, timeout, op -> {
            op.progress(60, "starting");
            start(id);
        });
    }

    /** A power-off, then {@code after}, as an operation of this kind run in the background; the operation as it begins. */
    private Operation powerOperation(String kind, String what, UUID id, boolean force, Duration timeout,
                                     java.util.function.Consumer<RunningOperation> after) {
        Duration grace = checkedGrace(force, timeout);
        requireRunning(id, what);
        RunningOperation op = operations.begin(kind, id.toString());
        jobs.submit(() -> {
            try {
                powerOff(id, grace, op);
                after.accept(op);
                op.succeeded();
            } catch (RuntimeException e) {
                op.failed(e instanceof HangarException h ? Problem.of(h) : new Problem(kind.replace('.', '-') + "-failed", String.valueOf(e.getMessage())));
            }
        });
        return op.current();
    }

    private static Duration checkedGrace(boolean force, Duration timeout) {
        if (timeout.isNegative() || timeout.compareTo(MAX_STOP_TIMEOUT) > 0) {
            throw HangarException.invalid("invalid-timeout", "timeout must be from 0 to " + MAX_STOP_TIMEOUT.toSeconds() + " seconds");
        }
        return force ? Duration.ZERO : timeout;
    }

    /** 409 unless the VM's machine runs (or is suspended, or already off): a creating, failed or deleting VM has none to act on. */
    private void requireRunning(UUID id, String what) {
        Vm vm = get(id);
        if (!vm.status().isSettled()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-not-running",
                    "VM " + id + " is " + vm.status().wireName() + " and cannot be " + what + " now");
        }
    }

    private void powerOff(UUID id, Duration grace, RunningOperation op) {
        locks.with(id, () -> {
            Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
            if (!vm.status().isSettled()) {
                throw new HangarException(HangarException.Kind.CONFLICT, "vm-not-running", "VM " + id + " is " + vm.status().wireName());
            }
            op.progress(10, grace.isZero() ? "stopping the machine" : "pressing the power button; a hard stop after " + grace.toSeconds() + " s");
            driver.stop(launcher.dir(id), grace);
            vms.update(vm.withStatus(VmStatus.POWERED_OFF));
            log.info("VM {} powered off", id);
            return null;
        });
    }

    /** The longest a command run in a guest may take. */
    public static final Duration MAX_EXEC_TIMEOUT = Duration.ofMinutes(10);

    /**
     * Runs a program in the running VM's guest through its agent and returns how it ended. 409
     * {@code vm-not-running} unless the VM runs, 409 {@code vm-no-agent} when its guest agent does not
     * answer (or the program did not end within the timeout: 504 would blame the service).
     */
    public MachineDriver.GuestExit exec(UUID id, List<String> argv, Duration timeout) {
        if (argv.isEmpty() || argv.getFirst().isEmpty()) throw HangarException.invalid("invalid-command", "command is a non-empty list of strings");
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_EXEC_TIMEOUT) > 0) {
            throw HangarException.invalid("invalid-timeout", "timeout must be from 1 to " + MAX_EXEC_TIMEOUT.toSeconds() + " seconds");
        }
        Vm vm = get(id);
        if (vm.status() != VmStatus.POWERED_ON) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-not-running", "VM " + id + " is " + vm.status().wireName());
        }
        try {
            return driver.exec(launcher.dir(id), argv, timeout);
        } catch (IOException e) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-no-agent",
                    "VM " + id + ": the command could not be run through the guest agent (" + printable(e.getMessage()) + ")");
        }
    }

    /** What the guest's agent said, as one short printable line (it is the guest's text). */
    private static String printable(String said) {
        String s = String.valueOf(said).replaceAll("[^\\x20-\\x7e]", "?");
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Stops the VM's vCPUs, its memory kept: suspended. A suspended VM is left as it is; 409 unless it runs. */
    public Vm suspend(UUID id) {
        return pauseOrResume(id, VmStatus.POWERED_ON, VmStatus.SUSPENDED);
    }

    /** Runs a suspended VM again from where it stood. A running VM is left as it is; 409 unless it is suspended. */
    public Vm resume(UUID id) {
        return pauseOrResume(id, VmStatus.SUSPENDED, VmStatus.POWERED_ON);
    }

    private Vm pauseOrResume(UUID id, VmStatus from, VmStatus to) {
        return locks.with(id, () -> {
            Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
            if (vm.status() == to) return vm;
            if (vm.status() != from) {
                throw new HangarException(HangarException.Kind.CONFLICT, to == VmStatus.SUSPENDED ? "vm-not-running" : "vm-not-suspended",
                        "VM " + id + " is " + vm.status().wireName() + "; only a " + from.wireName() + " VM can be "
                                + (to == VmStatus.SUSPENDED ? "suspended" : "resumed"));
            }
            try {
                if (to == VmStatus.SUSPENDED) driver.pause(launcher.dir(id));
                else driver.resume(launcher.dir(id));
            } catch (IOException e) {
                throw new HangarException(HangarException.Kind.INTERNAL, "vm-" + (to == VmStatus.SUSPENDED ? "suspend" : "resume") + "-failed",
                        "VM " + id + ": " + e.getMessage(), e);
            }
            Vm now = vm.withStatus(to);
            vms.update(now);
            log.info("VM {} is {}", id, to.wireName());
            return now;
        });
    }

    /**
     * Powers the VM off (cleanly, then hard) and removes its disks, files, ports, leases and record. A VM
     * still being created has its creation called off first: a download only it waited for stops.
     */
    public void delete(UUID id) {
        deletion.run(id);
    }

    /** Calls off the VM's creation or install (its operation's cancel): the VM is deleted, in the background. */
    private void callOff(UUID id) {
        jobs.submit(() -> deletion.resume(id));
    }

    /** The end of the VM's serial console log. */
    public String console(UUID id) {
        vms.find(id).orElseThrow(() -> notFound(id.toString()));
        return driver.console(launcher.dir(id));
    }

    /** Checks that the VM's serial console can be joined now: 404 vm-not-found, 409 vm-not-running. */
    public void requireConsole(UUID id) {
        requireRunning(vms.find(id).orElseThrow(() -> notFound(id.toString())));
    }

    /**
     * A live connection to the running VM's serial console (its output, and keys typed into it).
     * 409 vm-not-running when the VM is not powered on or its machine does not answer.
     */
    public MachineStream openConsole(UUID id) {
        requireConsole(id);
        try {
            return driver.openConsole(launcher.dir(id));
        } catch (IOException e) {
            throw notAnswering(id, "console", e);
        }
    }

    /** Checks that the VM's screen can be joined now: 404 vm-not-found, 409 vm-no-display or vm-not-running. */
    public void requireScreen(UUID id) {
        Vm vm = vms.find(id).orElseThrow(() -> notFound(id.toString()));
        if (vm.vnc() == null) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-no-display",
                    "VM " + id + " has no graphical screen: create it with launch_gui (or headless false) to get one");
        }
        requireRunning(vm);
    }

    /** A live connection to the VNC server of a running VM started with a display; 409 vm-no-display otherwise. */
    public MachineStream openScreen(UUID id) {
        requireScreen(id);
        try {
            return driver.openScreen(launcher.dir(id));
        } catch (IOException e) {
            throw notAnswering(id, "screen", e);
        }
    }

    private static void requireRunning(Vm vm) {
        if (vm.status() != VmStatus.POWERED_ON) {
            throw new HangarException(HangarException.Kind.CONFLICT, "vm-not-running",
                    "VM " + vm.id() + " is " + vm.status().wireName() + ", not powered-on");
        }
    }

    private static HangarException notAnswering(UUID id, String device, IOException e) {
        return new HangarException(HangarException.Kind.CONFLICT, "vm-not-running",
                "VM " + id + " does not answer on its " + device + ": " + e.getMessage());
    }

    /** A MAC no VM has and no other NIC of this VM takes. */
    private String freshMac(List<Nic> taken) {
        while (true) {
            String mac = Nic.randomMac(); // 24 random bits: clashes are rare but real over thousands of VMs
            if (taken.stream().noneMatch(n -> n.mac().equals(mac)) && !vms.macInUse(mac)) return mac;
        }
    }

    private static String describe(BootSource boot) {
        return switch (boot) {
            case BootSource.Image i -> "image " + RedactedUrl.of(i.image().url());
            case BootSource.NetworkInstall n -> "network install from " + RedactedUrl.of(n.location());
            case BootSource.Disk d -> "blank disks";
            case BootSource.Library l -> "library VM " + l.name();
        };
    }

    /** What every face answers for an id that names no VM. */
    public static HangarException notFound(String id) {
        return new HangarException(HangarException.Kind.NOT_FOUND, "vm-not-found", "The requested virtual machine ID was not found: " + id);
    }

    static HangarException nameTaken(String name) {
        return new HangarException(HangarException.Kind.CONFLICT, "vm-name-taken", "a VM named " + name + " exists");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Stops watching and cuts off running jobs; VMs keep running and creations resume at the next start. */
    @Override
    public void close() {
        running = false;
        monitorThread.interrupt();
        warm.close();
        pools.close();
        jobs.shutdownNow();
        try {
            jobs.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
