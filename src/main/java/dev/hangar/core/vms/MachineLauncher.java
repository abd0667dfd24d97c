package dev.hangar.core.vms;

import dev.hangar.core.Cancellation;
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
import java.util.UUID;

/**
 * Turns a VM record into a running machine: fetches what it boots from, makes its disks (linked clones
 * of the gold, then its blank disks), gives each NIC its port and starts the driver. Used by creation
 * and by a start after power-off; every step is idempotent, so a resumed creation redoes only what is
 * missing.
 */
final class MachineLauncher {
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

    MachineLauncher(GoldImages images, VmDisks diskFiles, InstallerSource installers, MachineDriver driver, NetworkFabric fabric,
                    NetworkService networks, VmSettings settings) {
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

    /** Starts the machine unless it runs already; the caller holds the VM's lock. Returns the VM powered on. */
    Vm launch(Vm vm, BootMedia media) throws IOException {
        Path dir = dir(vm.id());
        Files.createDirectories(dir);
        MachineProfile p = media.profile();
        DiskBus bus = p.diskBus() != null ? p.diskBus() : media.gold() != null ? DiskBus.VIRTIO : DiskBus.VIRTIO_SCSI;
        List<MachineSpec.Disk> disks = new ArrayList<>();
        if (media.gold() != null) {
            for (Path clone : diskFiles.clone(media.gold(), dir)) disks.add(new MachineSpec.Disk(clone, bus));
        }
        for (int i = 0; i < vm.disks().size(); i++) {
            Path file = dir.resolve("blank" + i + ".qcow2");
            diskFiles.createBlankDisk(file, vm.disks().get(i).sizeGib() << 30);
            disks.add(new MachineSpec.Disk(file, bus));
        }
        if (vm.hasCloudInit()) {
            // Last, so the VM's own disks keep their names (vda, sda, ...) with or without a seed.
            Path seed = dir.resolve(SEED_FILE);
            diskFiles.createSeedDisk(seed, seedOf(vm));
            disks.add(new MachineSpec.Disk(seed, bus, true));
        }
        List<MachineSpec.Nic> nics = new ArrayList<>();
        for (Nic nic : vm.nics()) {
            nics.add(new MachineSpec.Nic(p.nic() != null ? p.nic() : NicModel.VIRTIO, nic.mac(),
                    fabric.attach(nic, networks.resolve(nic.network()))));
        }
        Path kernel = media.gold() != null ? media.gold().kernel() : media.installer() != null ? media.installer().kernel() : null;
        Path initrd = media.gold() != null ? media.gold().initrd() : media.installer() != null ? media.installer().initrd() : null;
        String cmdline = vm.boot() instanceof BootSource.NetworkInstall n ? n.cmdline() : p.cmdline();
        if (driver.state(dir) == MachineState.STOPPED) {
            // An installer's reboot ends the machine, as virt-install's on_reboot=destroy does: the host
            // then reads powered off and boots its disk on the next start.
            driver.start(new MachineSpec(vm.id().toString(), vm.name(), dir, vm.cpus(), vm.memoryMib(), disks, p.firmware(), kernel,
                    initrd, cmdline, nics, vm.gui(), media.installer() != null));
        }
        return vm.toBuilder().status(VmStatus.POWERED_ON).vnc(driver.vncAddress(dir).orElse(null)).build();
    }

    /** Removes every NIC's port and lease. */
    void detach(Vm vm) {
        for (Nic nic : vm.nics()) networks.find(nic.network()).ifPresent(n -> fabric.detach(nic, n));
    }

    Path dir(UUID id) {
        return settings.vmsDir().resolve(id.toString());
    }

    /** The seed of a VM that asked for user-data or network-config. */
    static CloudInitSeed seedOf(Vm vm) {
        return new CloudInitSeed(vm.id().toString(), vm.name() != null ? vm.name() : CloudInitSeed.defaultHostname(vm.id()),
                vm.userData() == null ? "" : vm.userData(), vm.networkConfig());
    }
}
