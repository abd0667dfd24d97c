package dev.hangar.core.vms;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.CloudInitSeed;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.VmDisks;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.images.WarmTemplates.Settings;
import dev.hangar.core.images.WarmTemplates.Template;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.Nic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm starts: a VM restored from a memory template of its image instead of booted, then given an
 * identity of its own. A template is the image booted once, on the isolated templates' network, with
 * its RAM in a file, paused once its guest agent answers and it has settled, its device state saved.
 * A clone maps that RAM copy-on-write, takes a disk overlay on the template's disk, loads the state,
 * runs, and is re-identified through its agent (clock, MACs, hostname, generation id, the image's hook).
 *
 * <p>A template is keyed by everything a restore depends on: the gold, and the machine's command line
 * without host paths (its shape, devices and pinned machine type) with the hypervisor's build (see
 * {@link MemorySnapshots#fingerprint}). A create starts warm when its image is marked warm and a
 * template with its key is ready; otherwise it boots cold, and a build of that template starts in the
 * background. A warm start that fails is never a failed create: the VM boots cold (see CreationJob).
 */
public final class WarmStarts implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmStarts.class);
    /** Part of every key: a change to what a template holds or how it is made invalidates all older ones. */
    static final int FORMAT = 1;
    /** A template's guest must answer within this of its boot. */
    private static final Duration AGENT_WAIT = Duration.ofMinutes(3);
    /** After its agent answers, the guest finishes what its boot started (DHCP, services) before it is paused. */
    private static final Duration SETTLE = Duration.ofSeconds(2);
    /** Templates an image keeps at most (one per shape asked for); more shapes start cold. */
    static final int MAX_TEMPLATES = 4;

    /** A template found for a create: the VM starts warm from it. */
    record Plan(Template template) {}

    private final Optional<MemorySnapshots> snapshots;
    private final WarmTemplates templates;
    private final GoldImages golds;
    private final VmDisks disks;
    private final MachineDriver driver;
    private final NetworkFabric fabric;
    private final VmSettings settings;
    private final Clock clock;
    private final BooleanSupplier running;
    private final ExecutorService builds = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("warm-templates").factory());
    /** Templates being built or tried this run, by gold and key: each is tried once per run (a failure is recorded). */
    private final Set<String> tried = ConcurrentHashMap.newKeySet();

    public WarmStarts(MachineDriver driver, WarmTemplates templates, GoldImages golds, VmDisks disks, NetworkFabric fabric,
                      VmSettings settings, Clock clock, BooleanSupplier running) {
        this.snapshots = driver.memorySnapshots();
        this.templates = templates;
        this.golds = golds;
        this.disks = disks;
        this.driver = driver;
        this.fabric = fabric;
        this.settings = settings;
        this.clock = clock;
        this.running = running;
    }

    /** Why this host cannot start VMs warm, or null. */
    public String unsupported() {
        return snapshots.isPresent() ? null
                : "this hypervisor driver cannot restore a machine from a memory template with a new identity (see docs/warm-starts.md)";
    }

    /** The image's warm settings, its templates and how many pool spares are ready, for GET /images/KEY. */
    public record Status(Settings settings, String unsupported, List<WarmTemplates.Summary> templates, int poolReady) {}

    public Status status(String goldKey) {
        requireGold(goldKey);
        WarmPools p = pools;
        return new Status(templates.settings(goldKey), unsupported(), templates.list(goldKey), p == null ? 0 : p.ready(goldKey));
    }

    /** The pools, told of every change to an image's settings (set once, by the VM service). */
    private volatile WarmPools pools;

    void attach(WarmPools pools) {
        this.pools = pools;
    }

    /**
     * Marks an image warm (or not). Marked, a template of its default shape (the image's size, one NIC,
     * as a create without sizes gets) is built at once, in the background.
     */
    public Status configure(String goldKey, Settings wanted) {
        GoldImage gold = requireGold(goldKey);
        if (wanted.pool() < 0 || wanted.pool() > Settings.MAX_POOL) {
            throw HangarException.invalid("invalid-pool", "pool must be from 0 to " + Settings.MAX_POOL + ", not " + wanted.pool());
        }
        if (wanted.enabled() && snapshots.isEmpty()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "warm-unsupported", unsupported());
        }
        if (wanted.enabled() && gold.profile().firmware() == Firmware.EFI) {
            throw new HangarException(HangarException.Kind.CONFLICT, "warm-unsupported",
                    "an image with EFI firmware starts cold: its variables are a file of each VM's own, which a template cannot share");
        }
        templates.saveSettings(goldKey, wanted);
        if (wanted.enabled()) {
            Vm shape = Sizing.sized(Vm.builder().id(UUID.randomUUID()).build(), gold.profile(), settings);
            buildInBackground(gold, new TemplateShape(shape.cpus(), shape.memoryMib(), List.of(MachineLauncher.nicModel(gold.profile())),
                    MachineLauncher.diskBus(gold.profile(), true)));
        }
        WarmPools p = pools;
        if (p != null) builds.execute(() -> p.fill(goldKey)); // after the template's build, which runs first
        return status(goldKey);
    }

    /** What templates and groups asked of images not cached yet, by gold key: applied once a create has the gold. */
    private final java.util.Map<String, Settings> wanted = new ConcurrentHashMap<>();

    /**
     * A template or group wants its image warm (or cold): applied now when the image is cached and its
     * settings differ, else once a create has fetched it. A host that cannot start warm says so in the log.
     */
    public void want(dev.hangar.core.images.ImageRef image, Settings settings) {
        Optional<GoldImage> gold = golds.cached(image);
        if (gold.isEmpty()) {
            wanted.put(image.cacheKey(), settings);
            return;
        }
        apply(gold.get().key(), settings);
    }

    private void apply(String goldKey, Settings settings) {
        if (settings.equals(templates.settings(goldKey))) return;
        try {
            configure(goldKey, settings);
        } catch (HangarException e) {
            log.warn("image {} cannot be made {} as its template or group asks: {}", goldKey, settings.enabled() ? "warm" : "cold", e.getMessage());
        }
    }

    private GoldImage requireGold(String goldKey) {
        return golds.byKey(goldKey).orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found",
                "no cached image " + goldKey));
    }

    /**
     * The template this create starts warm from, if its image is marked warm, the VM's shape can start
     * warm and a template of that shape is ready; otherwise empty, and if only the template is missing,
     * its build starts in the background. {@code cold} is the machine the VM boots otherwise.
     */
    Optional<Plan> plan(Vm vm, GoldImage gold, MachineSpec cold) {
        if (gold != null) {
            Settings asked = wanted.remove(gold.key());
            if (asked != null) apply(gold.key(), asked);
        }
        if (gold == null || snapshots.isEmpty() || !templates.settings(gold.key()).enabled()) return Optional.empty();
        String why = whyCold(vm, cold);
        if (why != null) {
            log.info("VM {} starts cold: {}", vm.id(), why);
            return Optional.empty();
        }
        try {
            String key = key(gold, cold);
            Optional<Template> ready = templates.find(gold.key(), key);
            if (ready.isPresent()) return Optional.of(new Plan(ready.get()));
            List<NicModel> models = cold.nics().stream().map(MachineSpec.Nic::model).toList();
            buildInBackground(gold, new TemplateShape(cold.cpus(), cold.memoryMib(), models, cold.disks().getFirst().bus()));
        } catch (IOException e) {
            log.warn("VM {} starts cold: {}", vm.id(), e.getMessage());
        }
        return Optional.empty();
    }

    /** Why this VM cannot start warm whatever its image, or null. */
    static String whyCold(Vm vm, MachineSpec cold) {
        if (vm.hasCloudInit()) return "it brings cloud-init data, which a template has already run without";
        if (!vm.disks().isEmpty()) return "it asks for blank disks";
        if (vm.gui()) return "it has a display";
        if (cold.firmware() == Firmware.EFI) return "EFI firmware keeps variables of its own";
        if (cold.disks().isEmpty() || cold.nics().isEmpty()) return "it has no disk or no NIC";
        return null;
    }

    /**
     * The clone's machine: the cold one with its RAM the template's file (mapped privately), the
     * template's machine type, a new generation id, and its disks overlays on the template's disks
     * (in {@code disksDir}: see MachineLauncher#warmDisksDir).
     */
    MachineSpec cloneSpec(MachineSpec cold, Plan plan, Path disksDir) throws IOException {
        Template t = plan.template();
        Files.createDirectories(disksDir);
        GoldImage templateDisks = new GoldImage("template-" + t.key(), t.dir(), t.disks(), null, null,
                dev.hangar.core.images.MachineProfile.EMPTY);
        List<MachineSpec.Disk> own = new ArrayList<>();
        for (Path clone : disks.clone(templateDisks, disksDir)) own.add(new MachineSpec.Disk(clone, cold.disks().getFirst().bus()));
        return new MachineSpec(cold.id(), cold.name(), cold.dir(), cold.cpus(), cold.memoryMib(), own, cold.firmware(), cold.kernel(),
                cold.initrd(), cold.cmdline(), cold.nics(), false, false,
                new WarmMemory(WarmMemory.Role.CLONE, t.ram(), t.machineType(), UUID.randomUUID().toString()));
    }

    /** Loads the template's state into the started clone, runs it and gives it the VM's identity. */
    void resume(Vm vm, MachineSpec clone, Plan plan) throws IOException {
        MemorySnapshots s = snapshots.orElseThrow();
        s.resume(clone.dir(), plan.template().state());
        List<MemorySnapshots.MacChange> macs = new ArrayList<>();
        for (int i = 0; i < vm.nics().size(); i++) macs.add(new MemorySnapshots.MacChange(plan.template().macs().get(i), vm.nics().get(i).mac()));
        String hostname = vm.name() != null ? vm.name() : CloudInitSeed.defaultHostname(vm.id());
        s.reidentify(clone.dir(), new MemorySnapshots.Identity(hostname, clone.warm().generationId(), macs));
    }

    /**
     * Runs a paused pool spare on as this VM: its clock set and, when the VM has a name, its hostname
     * (through the re-identification, its MAC its own already).
     */
    void handOut(Path dir, Vm vm, MachineDriver machines) throws IOException {
        MemorySnapshots s = snapshots.orElseThrow();
        machines.resume(dir);
        if (vm.name() == null) {
            s.setClock(dir);
            return;
        }
        List<MemorySnapshots.MacChange> macs = vm.nics().stream().map(n -> new MemorySnapshots.MacChange(n.mac(), n.mac())).toList();
        // Its generation id was new when the spare was made and stays: the hook is told none ("").
        s.reidentify(dir, new MemorySnapshots.Identity(vm.name(), "", macs));
    }

    /** What a template is made for: its size, its NICs' models, its disks' bus. */
    record TemplateShape(int cpus, long memoryMib, List<NicModel> nics, DiskBus bus) {
        String describe() {
            return cpus + " cpu, " + memoryMib + " MiB, " + nics.size() + " NIC (" + String.join(", ", nics.stream().map(Enum::name).toList()).toLowerCase(java.util.Locale.ROOT)
                    + "), " + bus.name().toLowerCase(java.util.Locale.ROOT) + " disks";
        }
    }

    /** The key of the template a machine like {@code spec} (a clone's or a template's) restores from. */
    private String key(GoldImage gold, MachineSpec spec) throws IOException {
        MemorySnapshots s = snapshots.orElseThrow();
        MachineSpec asTemplate = spec.withWarm(new WarmMemory(WarmMemory.Role.TEMPLATE, Path.of("/ram"), s.pinnedMachineType(spec),
                "00000000-0000-0000-0000-000000000000"));
        String text = FORMAT + "\n" + gold.key() + "\n" + s.fingerprint(asTemplate);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void buildInBackground(GoldImage gold, TemplateShape shape) {
        if (!tried.add(gold.key() + "/" + shape)) return;
        builds.execute(() -> {
            try {
                build(gold, shape);
            } catch (RuntimeException e) {
                log.warn("building a template of {} failed", gold.key(), e);
            }
        });
    }

    /**
     * Boots the image on the templates' network with its RAM in a file, waits for its agent and lets it
     * settle, checks it can take a new identity, saves its state and puts the template in place; or
     * records why not. Whatever happens, the template's machine and its port are gone afterwards.
     */
    void build(GoldImage gold, TemplateShape shape) {
        if (templates.list(gold.key()).stream().filter(t -> t.state().equals("ready")).count() >= MAX_TEMPLATES) {
            log.info("image {} has {} templates already: {} starts cold", gold.key(), MAX_TEMPLATES, shape.describe());
            return;
        }
        MemorySnapshots s = snapshots.orElseThrow();
        List<Nic> nics = new ArrayList<>();
        for (int i = 0; i < shape.nics().size(); i++) nics.add(new Nic("templates", Nic.randomMac()));
        String key = null;
        Path build = null;
        MachineSpec spec = null;
        try {
            List<MachineSpec.Nic> attached = new ArrayList<>();
            for (int i = 0; i < nics.size(); i++) {
                NetAttachment net = fabric.attachIsolated(nics.get(i));
                attached.add(new MachineSpec.Nic(shape.nics().get(i), nics.get(i).mac(), net));
            }
            // Where the files go does not change the key (the fingerprint has no host path): placeholders.
            List<MachineSpec.Disk> placeholders = new ArrayList<>();
            for (int i = 0; i < gold.disks().size(); i++) placeholders.add(new MachineSpec.Disk(Path.of("/template/disk" + i + ".qcow2"), shape.bus()));
            MachineSpec draft = new MachineSpec("template", null, Path.of("/template"), shape.cpus(), shape.memoryMib(), placeholders,
                    gold.profile().firmware(), gold.kernel(), gold.initrd(), gold.profile().cmdline(), attached, false, false);
            key = key(gold, draft);
            if (templates.find(gold.key(), key).isPresent()) return;
            build = templates.startBuild(gold.key(), key);
            String name = "tm-" + key.substring(0, 16);
            // Its sockets in a short path (a Unix socket's is at most 107 bytes), beside the VMs' directories.
            Path machineDir = machinesDir().resolve(name);
            List<MachineSpec.Disk> own = new ArrayList<>();
            for (Path d : disks.clone(gold, build)) own.add(new MachineSpec.Disk(d, shape.bus()));
            spec = new MachineSpec(name, null, machineDir, shape.cpus(), shape.memoryMib(), own, gold.profile().firmware(), gold.kernel(),
                    gold.initrd(), gold.profile().cmdline(), attached, false, false,
                    new WarmMemory(WarmMemory.Role.TEMPLATE, build.resolve("ram"), s.pinnedMachineType(draft), UUID.randomUUID().toString()));
            log.info("building template {} of image {}: {}", key, gold.key(), shape.describe());
            Instant started = clock.instant();
            driver.start(spec);
            awaitAgent(s, machineDir);
            Thread.sleep(SETTLE.toMillis());
            s.requireReidentifyHook(machineDir);
            s.capture(machineDir, build.resolve("state"));
            driver.stop(machineDir, Duration.ZERO);
            for (Nic nic : nics) fabric.detachIsolated(nic);
            Template done = templates.finish(gold.key(), build, new Template(key, build, own.stream().map(MachineSpec.Disk::file).toList(),
                    build.resolve("ram"), build.resolve("state"), nics.stream().map(Nic::mac).toList(), spec.warm().machineType(),
                    shape.describe(), clock.instant()));
            log.info("template {} of image {} ready in {} ms", done.key(), gold.key(), Duration.between(started, clock.instant()).toMillis());
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            log.warn("template of image {} ({}) failed: {}", gold.key(), shape.describe(), reason);
            if (spec != null) stopQuietly(spec.dir());
            for (Nic nic : nics) fabric.detachIsolated(nic);
            if (key != null && running.getAsBoolean()) templates.failed(gold.key(), key, shape.describe(), reason);
            else if (build != null) templates.removeBuild(build);
        } finally {
            if (spec != null && driver.state(spec.dir()) == MachineState.STOPPED) dev.hangar.core.FileTrees.delete(spec.dir());
        }
    }

    /** Where template machines run while they are built. */
    private Path machinesDir() {
        return settings.vmsDir().resolveSibling("warm");
    }

    private void awaitAgent(MemorySnapshots s, Path machineDir) throws IOException, InterruptedException {
        Instant until = clock.instant().plus(AGENT_WAIT);
        while (!s.agentAnswers(machineDir)) {
            if (!running.getAsBoolean()) throw new IOException("the service is stopping");
            if (driver.state(machineDir) == MachineState.STOPPED) throw new IOException("the template's machine ended before its guest agent answered");
            if (clock.instant().isAfter(until)) {
                throw new IOException("the guest agent did not answer within " + AGENT_WAIT + ": an image starts warm only with the QEMU guest agent");
            }
            Thread.sleep(200);
        }
    }

    private void stopQuietly(Path machineDir) {
        try {
            driver.stop(machineDir, Duration.ZERO);
        } catch (RuntimeException e) {
            log.warn("stopping template machine {}: {}", machineDir, e.toString());
        }
    }

    /** Stops the machines of builds a crash cut off and removes what they left. */
    public void removeLeftovers() {
        if (Files.isDirectory(machinesDir())) {
            try (var entries = Files.list(machinesDir())) {
                for (Path machine : (Iterable<Path>) entries::iterator) {
                    log.info("stopping the template machine a restart cut off: {}", machine);
                    stopQuietly(machine);
                    dev.hangar.core.FileTrees.delete(machine);
                }
            } catch (IOException e) {
                log.warn("cannot list {}: {}", machinesDir(), e.getMessage());
            }
        }
        for (Path build : templates.leftoverBuilds()) {
            log.info("removing the template build a restart cut off: {}", build);
            templates.removeBuild(build);
        }
    }

    @Override
    public void close() {
        builds.shutdownNow();
    }
}
