package dev.hangar.core.vms;

import dev.hangar.core.Cancellation;
import dev.hangar.core.FileTrees;
import dev.hangar.core.images.CloudInitSeed;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.VmDisks;
import dev.hangar.core.images.Installer;
import dev.hangar.core.images.InstallerSource;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.networks.Nic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.UUID;

/**
 * Turns a VM record into a running machine: fetches what it boots from, makes its disks (linked clones
 * of the gold, then its blank disks), gives each NIC its port and starts the driver. Used by creation
 * and by a start after power-off; every step is idempotent, so a resumed creation redoes only what is
 * missing.
 */
final class MachineLauncher {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MachineLauncher.class);
    /** What a VM boots from, fetched: a gold image, an installer, or neither (its own disks). */
    record BootMedia(GoldImage gold, Installer installer) {
        MachineProfile profile() { return gold != null ? gold.profile() : MachineProfile.EMPTY; }
    }

    /** The cloud-init NoCloud seed disk in a VM's directory. */
    static final String SEED_FILE = "cidata.iso";

    private final GoldImages images;
    private final VmDisks diskFiles;
    private final InstallerSource installers;
    private final MachineDriver driver;
    private final NetworkFabric fabric;
    private final NetworkService networks;
    private final VmSettings settings;
    private final WarmStarts warm;

    MachineLauncher(GoldImages images, VmDisks diskFiles, InstallerSource installers, MachineDriver driver, NetworkFabric fabric,
                    NetworkService networks, VmSettings settings, WarmStarts warm) {
        this.warm = warm;
        this.images = images;
        this.diskFiles = diskFiles;
        this.installers = installers;
        this.driver = driver;
        this.fabric = fabric;
        this.networks = networks;
        this.settings = settings;
    }

    /** Blocking: downloads (or finds cached) what the VM boots from. Throws HangarException. */
    BootMedia media(Vm vm, GoldImages.FetchProgress progress, Cancellation cancellation) {
        return switch (vm.boot()) {
            case BootSource.Image i -> new BootMedia(images.obtain(i.image(), progress, cancellation), null);
            case BootSource.NetworkInstall n -> new BootMedia(null, installers.fetch(n.location()));
            case BootSource.Disk d -> new BootMedia(null, null);
            case BootSource.Library l -> new BootMedia(images.obtainFromLibrary(l.name()), null);
        };
    }

    /** Starts the machine unless it runs already, booting it cold; the caller holds the VM's lock. Returns the VM powered on. */
    Vm launch(Vm vm, BootMedia media) throws IOException {
        return launch(vm, media, false, note -> { });
    }

    /**
     * As {@link #launch(Vm, BootMedia)} for a creation: warm, from a memory template of its image, when
     * one is ready for its shape (see {@link WarmStarts}); cold otherwise, and cold when the warm start
     * fails, with the reason told to {@code note}. The VM comes back with its start ("warm", "cold").
     */
    Vm create(Vm vm, BootMedia media, Consumer<String> note) throws IOException {
        return launch(vm, media, true, note);
    }

    private Vm launch(Vm vm, BootMedia media, boolean mayStartWarm, Consumer<String> note) throws IOException {
        Path dir = dir(vm.id());
        Files.createDirectories(dir);
        if (driver.state(dir) != MachineState.STOPPED) return poweredOn(vm, dir, vm.start());
        MachineProfile p = media.profile();
        DiskBus bus = diskBus(p, media.gold() != null);
        List<MachineSpec.Nic> nics = new ArrayList<>();
        for (Nic nic : vm.nics()) {
            nics.add(new MachineSpec.Nic(nicModel(p), nic.mac(), fabric.attach(nic, networks.resolve(nic.network()))));
        }
        Path kernel = media.gold() != null ? media.gold().kernel() : media.installer() != null ? media.installer().kernel() : null;
        Path initrd = media.gold() != null ? media.gold().initrd() : media.installer() != null ? media.installer().initrd() : null;
        String cmdline = vm.boot() instanceof BootSource.NetworkInstall n ? n.cmdline() : p.cmdline();
        // An installer's reboot ends the machine, as virt-install's on_reboot=destroy does: the host
        // then reads powered off and boots its disk on the next start.
        MachineSpec cold = new MachineSpec(vm.id().toString(), vm.name(), dir, vm.cpus(), vm.memoryMib(), plannedDisks(vm, media, dir, bus),
                p.firmware(), kernel, initrd, cmdline, nics, vm.gui(), media.installer() != null);
        // Warm only on a first start with nothing on disk yet: an overlay made on the gold must never
        // be run on the template's disk, nor the other way round.
        if (mayStartWarm && cold.disks().stream().noneMatch(d -> Files.exists(d.file()))) {
            Optional<WarmStarts.Plan> plan = warm.plan(vm, media.gold(), cold);
            if (plan.isPresent()) {
                try {
                    MachineSpec clone = warm.cloneSpec(cold, plan.get(), warmDisksDir(vm.id()));
                    driver.start(clone);
                    warm.resume(vm, clone, plan.get());
                    return poweredOn(vm, dir, Vm.START_WARM);
                } catch (IOException | RuntimeException e) {
                    String why = e.getMessage() == null ? e.toString() : e.getMessage();
                    log.warn("VM {}: the warm start failed ({}); booting it cold", vm.id(), why);
                    note.accept("the warm start failed (" + why + "); booting cold");
                    discardMachine(vm);
                }
            }
        }
        makeDisks(vm, media, dir, bus);
        driver.start(cold);
        return poweredOn(vm, dir, vm.start() == null || vm.start().isEmpty() ? Vm.START_COLD : vm.start());
    }

    /** Stops the VM's machine (a failed warm start) and removes its warm disks, so a cold boot makes its own. */
    void discardMachine(Vm vm) {
        driver.stop(dir(vm.id()), java.time.Duration.ZERO);
        FileTrees.delete(warmDisksDir(vm.id()));
    }

    private Vm poweredOn(Vm vm, Path dir, String start) {
        return vm.toBuilder().status(VmStatus.POWERED_ON).vnc(driver.vncAddress(dir).orElse(null)).start(start).build();
    }

    /**
     * The VM's disks, in boot order, where they go (made by {@link #makeDisks}): the gold's clones (a
     * VM that started warm keeps its template's clones, in their own directory), blank disks, the seed.
     */
    private List<MachineSpec.Disk> plannedDisks(Vm vm, BootMedia media, Path dir, DiskBus bus) {
        List<MachineSpec.Disk> disks = new ArrayList<>();
        Path clones = Vm.START_WARM.equals(vm.start()) ? warmDisksDir(vm.id()) : dir;
        if (media.gold() != null) {
            for (int i = 0; i < media.gold().disks().size(); i++) disks.add(new MachineSpec.Disk(clones.resolve(VmDisks.cloneName(i)), bus));
        }
        for (int i = 0; i < vm.disks().size(); i++) disks.add(new MachineSpec.Disk(dir.resolve("blank" + i + ".qcow2"), bus));
        // Last, so the VM's own disks keep their names (vda, sda, ...) with or without a seed.
        if (vm.hasCloudInit()) disks.add(new MachineSpec.Disk(dir.resolve(SEED_FILE), bus, true));
        return disks;
    }

    private void makeDisks(Vm vm, BootMedia media, Path dir, DiskBus bus) {
        if (media.gold() != null && !Vm.START_WARM.equals(vm.start())) diskFiles.clone(media.gold(), dir);
        for (int i = 0; i < vm.disks().size(); i++) {
            diskFiles.createBlankDisk(dir.resolve("blank" + i + ".qcow2"), vm.disks().get(i).sizeGib() << 30);
        }
        if (vm.hasCloudInit()) diskFiles.createSeedDisk(dir.resolve(SEED_FILE), seedOf(vm));
    }

    /** The bus of a VM's disks: the image's, else virtio for a gold's disks and virtio-scsi for an installer's. */
    static DiskBus diskBus(MachineProfile p, boolean fromGold) {
        return p.diskBus() != null ? p.diskBus() : fromGold ? DiskBus.VIRTIO : DiskBus.VIRTIO_SCSI;
    }

    static NicModel nicModel(MachineProfile p) {
        return p.nic() != null ? p.nic() : NicModel.VIRTIO;
    }

    /** Removes every NIC's port and lease. */
    void detach(Vm vm) {
        for (Nic nic : vm.nics()) networks.find(nic.network()).ifPresent(n -> fabric.detach(nic, n));
    }

    Path dir(UUID id) {
        return settings.vmsDir().resolve(id.toString());
    }

    /**
     * Where a warm clone's disks are: not in its machine's directory, which is root's alone, because its
     * QEMU, its own uid by then, opens them again when it takes over the template's state.
     */
    Path warmDisksDir(UUID id) {
        return warmDisksRoot(settings).resolve(id.toString());
    }

    static Path warmDisksRoot(VmSettings settings) {
        return settings.vmsDir().resolveSibling("warm-disks");
    }

    /** The seed of a VM that asked for user-data or network-config. */
    static CloudInitSeed seedOf(Vm vm) {
        return new CloudInitSeed(vm.id().toString(), vm.name() != null ? vm.name() : CloudInitSeed.defaultHostname(vm.id()),
                vm.userData() == null ? "" : vm.userData(), vm.networkConfig());
    }
}
