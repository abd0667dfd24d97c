package dev.hangar.core.ports;

import dev.hangar.core.MachineProfile.DiskBus;
import dev.hangar.core.MachineProfile.Firmware;
import dev.hangar.core.MachineProfile.NicModel;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a driver needs to start one VM: its id, its name (null when it has none), and the rest.
 * The driver keeps its own files (pid, sockets, logs) in
 * {@code dir}; disks are in boot order; with a kernel the machine boots it directly (a manifest image
 * or an installer), else from its first disk (and the network after it). With {@code noReboot} a
 * reboot of the guest ends the machine (an installer finishing).
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
        boolean noReboot) {

    /**
     * A disk on its bus. A writable disk is qcow2 (a clone or a blank disk); a read-only one is a raw
     * image the guest only reads (the cloud-init seed).
     */
    public record Disk(Path file, DiskBus bus, boolean readOnly) {
        public Disk(Path file, DiskBus bus) {
            this(file, bus, false);
        }

        public String format() {
            return readOnly ? "raw" : "qcow2";
        }
    }

    public record Nic(NicModel model, String mac, NetAttachment net) {}

    public MachineSpec {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
        if (cpus < 1 || memoryMib < 1) throw new IllegalArgumentException("cpus and memory must be positive");
    }
}
