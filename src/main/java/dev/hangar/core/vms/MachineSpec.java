package dev.hangar.core.vms;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import dev.hangar.core.networks.NetAttachment;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a driver needs to start one VM: its id, its name (null when it has none), and the rest.
 * The driver keeps its own files (pid, sockets, logs) in
 * {@code dir}; disks are in boot order; with a kernel the machine boots it directly (a manifest image
 * or an installer), else from its first disk (and the network after it). With {@code noReboot} a
 * reboot of the guest ends the machine (an installer finishing). With {@code warm} its memory is a
 * file: a template to restore from, or a clone of one (see {@link WarmMemory}); null for every other machine.
 */
public record MachineSpec(
        String id,
        String name,
        Path dir,
        int cpus,
        long memoryMib,
        List<Disk> disks,
        Firmware firmware,
        Path kernel,
        Path initrd,
        String cmdline,
        List<Nic> nics,
        boolean gui,
        boolean noReboot,
        WarmMemory warm) {

    /**
     * A disk on its bus. A disk of the VM is qcow2 (a clone or a blank disk), writable, in the boot
     * order; the {@code seed} is the cloud-init NoCloud ISO, which the driver attaches as a CD-ROM on a
     * bus the guest has (a read-only disk on virtio), out of the boot order (see the drivers' DiskLayout).
     */
    public record Disk(Path file, DiskBus bus, boolean seed) {
        public Disk(Path file, DiskBus bus) {
            this(file, bus, false);
        }
    }

    public record Nic(NicModel model, String mac, NetAttachment net) {}

    public MachineSpec(String id, String name, Path dir, int cpus, long memoryMib, List<Disk> disks, Firmware firmware, Path kernel,
                       Path initrd, String cmdline, List<Nic> nics, boolean gui, boolean noReboot) {
        this(id, name, dir, cpus, memoryMib, disks, firmware, kernel, initrd, cmdline, nics, gui, noReboot, null);
    }

    public MachineSpec {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
        if (cpus < 1 || memoryMib < 1) throw new IllegalArgumentException("cpus and memory must be positive");
    }

    /** The same machine booting this kernel and initrd (a driver's own copies of them, say). */
    public MachineSpec withKernel(Path kernel, Path initrd) {
        return new MachineSpec(id, name, dir, cpus, memoryMib, disks, firmware, kernel, initrd, cmdline, nics, gui, noReboot, warm);
    }

    /** The same machine with its memory in a file (a template, or a clone of one). */
    public MachineSpec withWarm(WarmMemory memory) {
        return new MachineSpec(id, name, dir, cpus, memoryMib, disks, firmware, kernel, initrd, cmdline, nics, gui, noReboot, memory);
    }
}
