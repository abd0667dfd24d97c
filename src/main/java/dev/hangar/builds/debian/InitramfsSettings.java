package dev.hangar.builds.debian;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * initramfs-tools settings put into the root before the kernel's package is installed. Debian's default
 * (MODULES=most) copies most of the kernel's drivers and took 70 to 120 s to make here, twice per build
 * (the kernel's hook, then initramfs-tools' trigger); MODULES=list with the disk and network drivers of
 * the virtual machines images go to takes about 5 s and is a quarter of the size. udev in the initramfs
 * loads whichever of them the machine has; ext4 is loaded always. The NIC drivers are there as with
 * MODULES=most so that the NIC exists before systemd starts: on trixie, a NIC that first appeared in the
 * real root often never got its ifup@eth0 (3 of 4 boots had no address; 3 of 3 did with the driver in
 * the initramfs). They stay in the image, so a kernel installed later gets the same kind of initramfs.
 */
final class InitramfsSettings {
    /** Disk controllers of KVM/QEMU (virtio, AHCI, IDE, NVMe), VMware (PVSCSI, LSI), Hyper-V and Xen. */
    static final String DISK_DRIVERS =
            "virtio_pci virtio_blk virtio_scsi sd_mod ahci ata_piix ata_generic nvme vmw_pvscsi mptspi hv_storvsc xen_blkfront";

    /** NICs of the same machines: see the class comment for why they are in the initramfs. */
    static final String NIC_DRIVERS = "virtio_net e1000 e1000e vmxnet3 hv_netvsc xen_netfront";

    static final String CONF = "# Hangar's image builder: only the drivers its hook names (see hooks/hangar-virtual-disks)\n"
            + "MODULES=list\n"
            // zstd is not in the minimal system; say gzip rather than have initramfs-tools warn and fall back
            + "COMPRESS=gzip\n";

    static final String HOOK = "#!/bin/sh\n"
            + "# Hangar's image builder: the root disk's drivers for the virtual machines its images run on.\n"
            + "case \"$1\" in prereqs) exit 0 ;; esac\n"
            + ". /usr/share/initramfs-tools/hook-functions\n"
            + "manual_add_modules " + DISK_DRIVERS + "\n"
            + "manual_add_modules " + NIC_DRIVERS + "\n"
            + "force_load ext4\n";

    private InitramfsSettings() {}

    /** Writes the tree (etc/initramfs-tools/...) under dir, for mmdebstrap's sync-in; returns dir. */
    static Path writeTree(Path dir) throws IOException {
        Path tools = dir.resolve("etc/initramfs-tools");
        Files.createDirectories(tools.resolve("conf.d"));
        Files.createDirectories(tools.resolve("hooks"));
        Files.writeString(tools.resolve("conf.d/hangar"), CONF);
        Path hook = Files.writeString(tools.resolve("hooks/hangar-virtual-disks"), HOOK);
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path d : new Path[] {dir, dir.resolve("etc"), tools, tools.resolve("conf.d"), tools.resolve("hooks")}) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir;
    }
}
