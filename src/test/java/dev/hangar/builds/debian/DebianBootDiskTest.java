package dev.hangar.builds.debian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.process.Command;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk's layout and boot files, and a real (small) disk made from a directory with no loop device or mount. */
class DebianBootDiskTest {
    private static final UUID ROOT_UUID = UUID.fromString("0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9");

    @TempDir
    Path dir;

    @Test
    void aTwoGibDiskHasTheBootPartitionAtOneMibAndTheRootAfterIt() {
        BootDisk.Layout layout = new BootDisk.Layout(2L << 30);
        assertEquals(2048, layout.bootStart());
        assertEquals(262144, layout.bootSectors()); // 128 MiB
        assertEquals(264192, layout.rootStart());
        assertEquals(4194304 - 264192, layout.rootSectors());
        assertEquals(1048576, layout.bootOffset());
        assertEquals(264192L * 512, layout.rootOffset());
        assertEquals(2L * 1024 * 1024 * 1024 - 129L * 1024 * 1024, layout.rootBytes());
        assertEquals("""
                label: dos
                label-id: 0x1234abcd
                start=2048, size=262144, type=e, bootable
                start=264192, size=3930112, type=83
                """, layout.sfdiskScript(0x1234abcd));
    }

    @Test
    void disksTooSmallForTheSystemOrNotWholeMibAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BootDisk.Layout(256L << 20));
        assertThrows(IllegalArgumentException.class, () -> new BootDisk.Layout((1L << 30) + 512));
    }

    @Test
    void syslinuxBootsTheKernelAtOnceWithTheRootByUuidSerialConsoleAndEth0() {
        assertEquals("""
                SERIAL 0 115200
                DEFAULT debian
                PROMPT 0
                TIMEOUT 0
                LABEL debian
                  KERNEL /vmlinuz
                  INITRD /initrd.img
                  APPEND root=UUID=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9 ro console=tty0 console=ttyS0,115200 net.ifnames=0
                """, BootDisk.syslinuxConfig(ROOT_UUID));
    }

    @Test
    void theDiskHoldsThePartitionsSyslinuxTheBootFilesAndTheRootDirectoryAsExt4() throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/hostname"), "disk-test\n");
        Files.createSymbolicLink(root.resolve("etc/localtime"), Path.of("../usr/share/zoneinfo/Etc/UTC"));
        Path kernel = Files.write(dir.resolve("vmlinuz"), "not really a kernel".getBytes());
        Path initrd = Files.write(dir.resolve("initrd.img"), new byte[300_000]);
        Path disk = dir.resolve("disk.raw");
        BootDisk.Layout layout = new BootDisk.Layout(1L << 30);
        List<Integer> steps = new ArrayList<>();

        BootDisk.make(disk, layout, root, ROOT_UUID, kernel, initrd, dir, Processes.NEVER_CANCELLED, (percent, activity) -> steps.add(percent));

        assertEquals(1L << 30, Files.size(disk));
        assertEquals(List.of(0, 5, 10, 95), steps);
        String table = Command.check("sfdisk", "--dump", disk.toString()).stdout();
        assertTrue(table.matches("(?s).*disk\\.raw1 : start=\\s*2048, size=\\s*262144, type=e, bootable\n.*"), table);
        assertTrue(table.matches("(?s).*disk\\.raw2 : start=\\s*264192, size=\\s*1832960, type=83\n.*"), table);

        byte[] mbr = new byte[512];
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "r")) {
            f.readFully(mbr);
        }
        byte[] code = Files.readAllBytes(BootDisk.MBR_CODE);
        for (int i = 0; i < 440 && i < code.length; i++) assertEquals(code[i], mbr[i], "syslinux's MBR code at byte " + i);

        String fat = disk + "@@" + layout.bootOffset();
        Map<String, String> env = Map.of("MTOOLS_SKIP_CHECK", "1");
        String listing = Command.check(List.of("mdir", "-a", "-b", "-i", fat, "::"), env, Duration.ofMinutes(1)).stdout();
        for (String name : List.of("::/ldlinux.sys", "::/ldlinux.c32", "::/vmlinuz", "::/initrd.img", "::/syslinux.cfg")) {
            assertTrue(listing.lines().anyMatch(l -> l.strip().equalsIgnoreCase(name)), name + " in " + listing);
        }
        Path copied = dir.resolve("copied");
        Command.check(List.of("mcopy", "-i", fat, "::syslinux.cfg", copied.toString()), env, Duration.ofMinutes(1));
        assertEquals(BootDisk.syslinuxConfig(ROOT_UUID), Files.readString(copied));
        Files.delete(copied);
        Command.check(List.of("mcopy", "-i", fat, "::vmlinuz", copied.toString()), env, Duration.ofMinutes(1));
        assertArrayEquals(Files.readAllBytes(kernel), Files.readAllBytes(copied));

        // ext4 at the root partition's offset: its superblock (1024 bytes in) has the magic and our UUID,
        // e2fsck finds it clean, and it holds the directory's files and links as they were.
        ByteBuffer superblock = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        try (var channel = Files.newByteChannel(disk)) {
            channel.position(layout.rootOffset() + 1024).read(superblock);
        }
        assertEquals(0xEF53, superblock.getShort(0x38) & 0xffff);
        ByteBuffer uuid = ByteBuffer.wrap(superblock.array(), 0x68, 16);
        assertEquals(ROOT_UUID, new UUID(uuid.getLong(), uuid.getLong()));
        String ext4 = disk + "?offset=" + layout.rootOffset();
        Command.check(List.of("e2fsck", "-fn", ext4), Duration.ofMinutes(1));
        assertEquals("disk-test\n", Command.check(List.of("debugfs", "-R", "cat /etc/hostname", ext4), Duration.ofMinutes(1)).stdout());
        assertTrue(Command.check(List.of("debugfs", "-R", "stat /etc/localtime", ext4), Duration.ofMinutes(1)).stdout()
                .contains("Fast link dest: \"../usr/share/zoneinfo/Etc/UTC\""));
    }

    @Test
    void aRootTooLargeForItsPartitionFailsWithMkfsOwnWordsAndTheSizes() throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        // A 400 MiB disk leaves a 271 MiB root partition; 300 MiB of data cannot fit (mkfs.ext4 -d skips holes
        // and zero blocks, so the file holds a pattern).
        byte[] pattern = new byte[1 << 20];
        java.util.Arrays.fill(pattern, (byte) 0x5a);
        try (var out = Files.newOutputStream(root.resolve("big"))) {
            for (int i = 0; i < 300; i++) out.write(pattern);
        }
        Path kernel = Files.write(dir.resolve("vmlinuz"), new byte[10]);
        var e = assertThrows(dev.hangar.core.HangarException.class, () -> BootDisk.make(dir.resolve("disk.raw"), new BootDisk.Layout(400L << 20),
                root, ROOT_UUID, kernel, kernel, dir, Processes.NEVER_CANCELLED, (p, a) -> {}));
        assertEquals("build-failed", e.code());
        assertTrue(e.getMessage().startsWith("mkfs.ext4 failed"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(the root file system holds 300 MiB in files; the root partition of this 400 MiB disk has 271 MiB:"
                + " a larger disk size may be needed)"), e.getMessage());
    }
}
