package dev.hangar.hypervisor;

import dev.hangar.core.MachineProfile.DiskBus;
import dev.hangar.core.MachineProfile.Firmware;
import dev.hangar.core.MachineProfile.NicModel;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a driver needs to start one VM. The driver keeps its own files (pid, sockets, logs) in
 * {@code dir}; the disks are the VM's clones, in boot order.
 */
public record MachineSpec(
        String id,
        Path dir,
        int cpus,
        long memoryMib,
        List<Path> disks,
        DiskBus diskBus,
        Firmware firmware,
        Path kernel,
        Path initrd,
        String cmdline,
        NicModel nic,
        String mac,
        NetAttachment net,
        boolean gui) {

    public MachineSpec {
        disks = List.copyOf(disks);
        if (disks.isEmpty() && kernel == null) throw new IllegalArgumentException("a machine needs a disk or a kernel");
        if (cpus < 1 || memoryMib < 1) throw new IllegalArgumentException("cpus and memory must be positive");
    }
}
