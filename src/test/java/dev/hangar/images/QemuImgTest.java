package dev.hangar.images;

import static dev.hangar.images.TestDisks.convert;
import static dev.hangar.images.TestDisks.rawDisk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.HangarException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuImgTest {
    @TempDir Path dir;

    @Test
    void anOverlayIsALinkedCloneOfTheGoldDisk() throws Exception {
        Path raw = rawDisk(dir, "src.raw", 1 << 20);
        Path gold = dir.resolve("gold/disk0.qcow2");
        Files.createDirectories(gold.getParent());
        QemuImg.convertToQcow2(raw, gold);
        Path clone = dir.resolve("vm/disk0.qcow2");
        Files.createDirectories(clone.getParent());

        Qcow2Overlay.create(gold, clone);

        JsonNode info = TestDisks.info(clone);
        assertEquals("qcow2", info.path("format").asText());
        assertEquals(gold.toAbsolutePath().toString(), info.path("backing-filename").asText());
        assertEquals("qcow2", info.path("backing-filename-format").asText());
        assertTrue(Files.size(clone) < Files.size(gold), "a linked clone holds only its own writes");
        assertTrue(TestDisks.sameContent(raw, clone), "the clone reads the gold disk's content");
    }

    @Test
    void aBlankDiskOfAHundredGibIsSparseCleanAndTakesWritesAnywhere() throws Exception {
        Path disk = dir.resolve("blank0.qcow2");

        Qcow2Overlay.createBlank(disk, 100L << 30);

        JsonNode info = TestDisks.info(disk);
        assertEquals("qcow2", info.path("format").asText());
        assertEquals(100L << 30, info.path("virtual-size").asLong());
        assertTrue(info.path("backing-filename").isMissingNode(), "a blank disk has no base: " + info);
        assertTrue(Files.size(disk) < (1 << 20), "sparse: " + Files.size(disk));
        TestDisks.qemuImg(java.util.List.of("qemu-img", "check", "-q", disk.toString()));
        TestDisks.qemuImg(java.util.List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 99G 64k", "-c", "write -P 0x22 0 512",
                disk.toString()));
        TestDisks.qemuImg(java.util.List.of("qemu-io", "-f", "qcow2", "-c", "read -P 0x11 99G 64k", "-c", "read -P 0 1G 64k",
                "-c", "read -P 0x22 0 512", disk.toString()));
        TestDisks.qemuImg(java.util.List.of("qemu-img", "check", "-q", disk.toString()));
    }

    @Test
    void anOverlayOnALargeGoldIsCleanAndTakesTheVmsWrites() throws Exception {
        Path gold = dir.resolve("gold.qcow2");
        TestDisks.qemuImg(java.util.List.of("qemu-img", "create", "-q", "-f", "qcow2", gold.toString(), "10G"));
        TestDisks.qemuImg(java.util.List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 9G 1M", gold.toString()));
        Path clone = dir.resolve("clone.qcow2");

        Qcow2Overlay.create(gold, clone);

        JsonNode info = TestDisks.info(clone);
        assertEquals(10L << 30, info.path("virtual-size").asLong());
        assertEquals(gold.toAbsolutePath().toString(), info.path("backing-filename").asText());
        TestDisks.qemuImg(java.util.List.of("qemu-img", "check", "-q", clone.toString())); // throws unless clean
        // The VM writes one place; the rest still reads from the gold.
        TestDisks.qemuImg(java.util.List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0xc3 1G 64k", clone.toString()));
        TestDisks.qemuImg(java.util.List.of("qemu-io", "-f", "qcow2", "-c", "read -P 0xc3 1G 64k", "-c", "read -P 0x5a 9G 1M",
                clone.toString()));
        TestDisks.qemuImg(java.util.List.of("qemu-img", "check", "-q", clone.toString()));
        TestDisks.qemuImg(java.util.List.of("qemu-io", "-f", "qcow2", "-c", "read -P 0 1G 64k", gold.toString()));
        assertTrue(Files.size(clone) < (1 << 20), "the clone holds only its own writes: " + Files.size(clone));
    }

    @Test
    void convertDetectsTheSourceFormat() throws Exception {
        Path raw = rawDisk(dir, "src.raw", 1 << 20);
        Path vdi = convert(raw, "vdi", dir.resolve("src.vdi"));

        QemuImg.convertToQcow2(vdi, dir.resolve("out.qcow2"));

        assertEquals("qcow2", QemuImg.format(dir.resolve("out.qcow2")));
        assertEquals("vdi", QemuImg.format(vdi));
        assertEquals("raw", QemuImg.format(raw));
        assertTrue(TestDisks.sameContent(raw, dir.resolve("out.qcow2")));
    }

    @Test
    void anUnreadableDiskIsAQemuImgFailure() throws Exception {
        Path bogus = dir.resolve("bogus.qcow2");
        Files.write(bogus, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 99});

        HangarException e = assertThrows(HangarException.class, () -> QemuImg.convertToQcow2(bogus, dir.resolve("out.qcow2")));

        assertEquals("qemu-img-failed", e.code());
        assertTrue(QemuImg.refused(e), "qemu-img ran and refused the disk");
    }
}
