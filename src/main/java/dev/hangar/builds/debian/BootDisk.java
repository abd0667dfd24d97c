package dev.hangar.builds.debian;

import dev.hangar.core.HangarException;
import dev.hangar.core.builds.BuildProgress;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A raw disk that boots by firmware (BIOS, e.g. SeaBIOS), made in a plain file with no loop device and
 * no mount: an MBR whose boot code is syslinux's (it starts the active partition), a small FAT partition
 * holding syslinux (installed by its mtools flavour), the kernel, the initramfs and syslinux.cfg, and an
 * ext4 root partition made from the root directory by {@code mkfs.ext4 -d} at its offset in the file.
 */
final class BootDisk {
    static final Path MBR_CODE = Path.of("/usr/lib/syslinux/mbr/mbr.bin");
    static final Path LDLINUX_C32 = Path.of("/usr/lib/syslinux/modules/bios/ldlinux.c32");
    static final long SECTOR = 512;
    static final long MIB = 1024 * 1024;
    /** Room for a kernel and an initramfs (about 8 + 8 MiB here) several times over. */
    static final long BOOT_PARTITION_MIB = 128;
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration MKFS_TIMEOUT = Duration.ofMinutes(30);

    private BootDisk() {}

    /** Where the partitions lie on a disk of diskBytes: both start on a MiB boundary, root takes the rest. */
    record Layout(long diskBytes) {
        Layout {
            if (diskBytes % MIB != 0 || diskBytes < (BOOT_PARTITION_MIB + 2 + 256) * MIB) {
                throw new IllegalArgumentException("a disk of " + diskBytes + " bytes is too small or not whole MiB");
            }
        }

        long bootStart() {
            return MIB / SECTOR;
        }

        long bootSectors() {
            return BOOT_PARTITION_MIB * MIB / SECTOR;
        }

        long rootStart() {
            return bootStart() + bootSectors();
        }

        long rootSectors() {
            return diskBytes / SECTOR - rootStart();
        }

        long bootOffset() {
            return bootStart() * SECTOR;
        }

        long rootOffset() {
            return rootStart() * SECTOR;
        }

        long rootBytes() {
            return rootSectors() * SECTOR;
        }

        /** sfdisk's input: a DOS label, FAT16 (LBA) marked active, then Linux. */
        String sfdiskScript(int diskId) {
            return "label: dos\n"
                    + "label-id: 0x" + String.format("%08x", diskId) + "\n"
                    + "start=" + bootStart() + ", size=" + bootSectors() + ", type=e, bootable\n"
                    + "start=" + rootStart() + ", size=" + rootSectors() + ", type=83\n";
        }
    }

    /**
     * syslinux.cfg: boot the one kernel at once. The root is found by its file system's UUID; the
     * consoles are the screen and the first serial port (the last one named gets systemd's messages and
     * is where a log is read from); net.ifnames=0 keeps the first NIC named eth0, as the network
     * settings name it.
     */
    static String syslinuxConfig(UUID rootUuid) {
        return "SERIAL 0 115200\n"
                + "DEFAULT debian\n"
                + "PROMPT 0\n"
                + "TIMEOUT 0\n"
                + "LABEL debian\n"
                + "  KERNEL /vmlinuz\n"
                + "  INITRD /initrd.img\n"
                + "  APPEND root=UUID=" + rootUuid + " ro console=tty0 console=ttyS0,115200 net.ifnames=0\n";
    }

    /** Percent of the disk's own work at each step (the root file system is most of it). */
    interface Steps {
        void at(int percent, String activity);
    }

    /**
     * Writes the disk at {@code disk} (which must not exist): partition table, FAT with syslinux, kernel,
     * initramfs and configuration, the root file system from {@code rootDir}, the MBR's boot code.
     */
    static void make(Path disk, Layout layout, Path rootDir, UUID rootUuid, Path kernel, Path initrd, Path workDir,
                     BuildProgress progress, Steps steps) {
        java.util.random.RandomGenerator random = new java.security.SecureRandom();
        try {
            steps.at(0, "partitioning the disk");
            try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
                file.setLength(layout.diskBytes()); // sparse: only what is written takes space
            }
            new BuildProcess("sfdisk", List.of("sfdisk", "--quiet", disk.toString()))
                    .input(layout.sfdiskScript(random.nextInt()).getBytes(StandardCharsets.US_ASCII))
                    .timeout(TOOL_TIMEOUT).run(progress);

            steps.at(5, "making the boot partition");
            // -h: hidden sectors, the partition's start, which syslinux's boot sector adds to find itself
            // through the BIOS; the size is in KiB.
            new BuildProcess("mkfs.vfat", List.of("mkfs.vfat", "-F", "16", "-n", "HANGARBOOT", "-i", String.format("%08x", random.nextInt()),
                    "-h", String.valueOf(layout.bootStart()), "--offset=" + layout.bootStart(), disk.toString(),
                    String.valueOf(layout.bootSectors() * SECTOR / 1024))).timeout(TOOL_TIMEOUT).run(progress);
            // syslinux's mtools flavour installs into a file at a byte offset: no mount.
            new BuildProcess("syslinux", List.of("syslinux", "--offset", String.valueOf(layout.bootOffset()), "--install", disk.toString()))
                    .timeout(TOOL_TIMEOUT).run(progress);
            Path config = Files.writeString(workDir.resolve("syslinux.cfg"), syslinuxConfig(rootUuid));
            String fat = disk + "@@" + layout.bootOffset();
            Map<Path, String> onBoot = new java.util.LinkedHashMap<>();
            onBoot.put(LDLINUX_C32, "ldlinux.c32"); // syslinux 6 loads it from beside ldlinux.sys
            onBoot.put(kernel, "vmlinuz");
            onBoot.put(initrd, "initrd.img");
            onBoot.put(config, "syslinux.cfg");
            for (var entry : onBoot.entrySet()) {
                new BuildProcess("mcopy " + entry.getValue(), List.of("env", "MTOOLS_SKIP_CHECK=1", "mcopy", "-o", "-i", fat,
                        entry.getKey().toString(), "::" + entry.getValue())).timeout(TOOL_TIMEOUT).run(progress);
            }

            steps.at(10, "writing the root file system");
            // nodiscard: mke2fs would otherwise punch holes in the file, which is the whole disk here.
            BuildProcess mkfs = new BuildProcess("mkfs.ext4", List.of("mkfs.ext4", "-q", "-F", "-L", "root", "-U", rootUuid.toString(),
                    "-E", "offset=" + layout.rootOffset() + ",nodiscard", "-d", rootDir.toString(), disk.toString(),
                    (layout.rootBytes() / 1024) + "k")).timeout(MKFS_TIMEOUT);
            try {
                mkfs.run(progress);
            } catch (HangarException e) {
                if (!e.code().equals("build-failed")) throw e;
                throw BuildFailures.failed(e.getMessage() + "\n(the root file system holds " + bytesIn(rootDir) / MIB
                        + " MiB in files; the root partition of this " + layout.diskBytes() / MIB
                        + " MiB disk has " + layout.rootBytes() / MIB + " MiB: a larger disk size may be needed)", e);
            }

            steps.at(95, "writing the boot code");
            writeBootCode(disk);
        } catch (IOException e) {
            throw BuildFailures.failed("cannot write the disk image: " + e.getMessage(), e);
        }
    }

    /** The size of the regular files below dir (links not followed): what mkfs.ext4 -d had to copy, roughly. */
    static long bytesIn(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The MBR's first 440 bytes (its code) from syslinux; the partition table after them stays. */
    private static void writeBootCode(Path disk) throws IOException {
        byte[] code = Files.readAllBytes(MBR_CODE);
        try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(code, 0, Math.min(code.length, 440)), 0);
        }
    }
}
