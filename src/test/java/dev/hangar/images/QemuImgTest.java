package dev.hangar.images;

import static dev.hangar.images.TestDisks.convert;
import static dev.hangar.images.TestDisks.rawDisk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.HangarException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import dev.hangar.process.Command;
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
        Path images = readableByOthers(dir.resolve("images"));
        Path raw = rawDisk(images, "src.raw", 1 << 20);
        Path vdi = convert(raw, "vdi", images.resolve("src.vdi"));

        QemuImg.convertToQcow2(vdi, images.resolve("out.qcow2"));

        assertEquals("qcow2", QemuImg.format(images.resolve("out.qcow2")));
        assertEquals("vdi", QemuImg.format(vdi));
        assertEquals("raw", QemuImg.format(raw));
        assertTrue(TestDisks.sameContent(raw, images.resolve("out.qcow2")));
    }

    @Test
    void aDownloadedDiskIsConvertedAsAUidOfItsOwnIntoAGoldTheServiceOwnsReadOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.hangar.process.QemuUsers.onThisHost().isPresent(), "needs root and the hangar-qemu group (install-deps)");
        Path images = readableByOthers(dir.resolve("images"));
        Path raw = rawDisk(images, "src.raw", 1 << 20);
        Path vmdk = convert(raw, "vmdk", images.resolve("src.vmdk"));
        Path gold = images.resolve("gold.qcow2");
        QemuImg.convertToQcow2(vmdk, "vmdk", gold);
        assertTrue(TestDisks.sameContent(raw, gold));
        assertEquals(0, Files.getAttribute(gold, "unix:uid"), "the gold is root's once converted");
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(gold)), "and read-only");

        // Proof that qemu-img ran as the user: a split vmdk whose extent only root may read cannot be converted,
        // though the descriptor can (root would have read both).
        Path split = images.resolve("split.vmdk");
        TestDisks.qemuImg(List.of("qemu-img", "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=twoGbMaxExtentSparse",
                raw.toString(), split.toString()));
        Path extent = images.resolve("split-s001.vmdk");
        assertTrue(Files.exists(extent), "qemu-img wrote its extent beside the descriptor");
        Files.setPosixFilePermissions(split, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(extent, PosixFilePermissions.fromString("rw-------"));
        assertThrows(HangarException.class, () -> QemuImg.convertToQcow2(split, "vmdk", images.resolve("split.qcow2")));

        // A target in a directory only the service may enter (a library import's): the service converts it.
        Path privateDir = Files.createDirectories(images.resolve("private"));
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
        QemuImg.convertToQcow2(vmdk, "vmdk", privateDir.resolve("gold.qcow2"));
        assertTrue(TestDisks.sameContent(raw, privateDir.resolve("gold.qcow2")));
    }

    @Test
    void qemuImgInfoRunsConfinedAsALentUidAndConvertWithinItsLimits() {
        List<String> info = QemuImg.confined(List.of("qemu-img", "info", "./d.vmdk"), QemuImg.INSPECT,
                Optional.of(new dev.hangar.process.QemuUsers.Ids(1_900_040_000, 995)));
        assertEquals(List.of("prlimit", "--as=1073741824", "--cpu=30", "setpriv", "--reuid=1900040000", "--regid=995",
                "--clear-groups", "--no-new-privs", "qemu-img", "info", "./d.vmdk"), info);
        List<String> convert = QemuImg.confined(List.of("qemu-img", "convert"), QemuImg.CONVERT, Optional.empty());
        assertEquals(List.of("prlimit", "--as=2147483648", "--cpu=1200", "qemu-img", "convert"), convert);
    }

    @Test
    void aDiskInspectsWithinOpenStacksLimitsAndTooSmallALimitIsAClearErrorNotAHang() throws Exception {
        Path images = readableByOthers(dir.resolve("images"));
        Path qcow2 = convert(rawDisk(images, "d.raw", 1 << 20), "qcow2", images.resolve("d.qcow2"));

        assertEquals(1L << 20, QemuImg.info(qcow2, "qcow2").path("virtual-size").asLong(), "1 GiB and 30 s are plenty");

        long started = System.nanoTime();
        HangarException e = assertThrows(HangarException.class,
                () -> QemuImg.info(qcow2, "qcow2", new QemuImg.Limits(16L << 20, 30, "image-inspect-limit")));
        assertEquals("image-inspect-limit", e.code(), e.getMessage());
        assertEquals(HangarException.Kind.INVALID, e.kind(), "the image's doing, not the host's");
        assertTrue(e.getMessage().contains("16 MiB of address space"), e.getMessage());
        assertFalse(QemuImg.refused(e));
        assertTrue(System.nanoTime() - started < 10_000_000_000L, "ended at once");
    }

    @Test
    void aProgramPastItsCpuLimitIsEndedAndCountsAsALimitHitButARefusalDoesNot() throws Exception {
        // A busy loop stands in for qemu-img stuck in a crafted image: prlimit's 1 s of CPU (soft and hard
        // limit alike) ends it, with SIGXCPU or, at the hard limit, SIGKILL.
        Command.Result r = Command.run(QemuImg.confined(List.of("sh", "-c", "while :; do :; done"), new QemuImg.Limits(1L << 30, 1, "x"),
                Optional.empty()), java.time.Duration.ofSeconds(20));
        assertTrue(r.exitCode() == 128 + 24 || r.exitCode() == 128 + 9, "killed at the limit: exit " + r.exitCode());
        assertTrue(QemuImg.hitLimit(r));
        assertFalse(QemuImg.hitLimit(new Command.Result(1, "", "qemu-img: Could not open './d': Image is not in qcow2 format")),
                "a refusal is no limit");
    }

    @Test
    void infoNeedsNoWayThroughPrivateDirectoriesAboveTheDisk() throws Exception {
        // dir is JUnit's, private to root: qemu-img, run from the disk's own directory, does not pass through it.
        Path images = readableByOthers(dir.resolve("a/b"));
        Path vmdk = convert(rawDisk(images, "d.raw", 1 << 20), "vmdk", images.resolve("d.vmdk"));

        JsonNode info = QemuImg.info(vmdk, "vmdk");

        assertEquals("vmdk", info.path("format").asText());
        String extent = info.path("format-specific").path("data").path("extents").get(0).path("filename").asText();
        assertEquals(vmdk, vmdk.getParent().resolve(extent).normalize(), "extents are named relative to the disk's directory: " + extent);
    }

    @Test
    void aDiskTheUnprivilegedUserCannotReadIsTheHostsFaultSaidPlainly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.hangar.process.QemuUsers.onThisHost().isPresent(), "runs as root with hangar-qemu present");
        Path images = readableByOthers(dir.resolve("images"));
        Path disk = convert(rawDisk(images, "d.raw", 1 << 20), "qcow2", images.resolve("d.qcow2"));
        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-------"));

        HangarException e = assertThrows(HangarException.class, () -> QemuImg.info(disk, "qcow2"));

        assertEquals("qemu-img-failed", e.code());
        assertTrue(e.getMessage().contains("uid of its own") && e.getMessage().contains("o+r"), e.getMessage());
        assertFalse(QemuImg.refused(e), "not the image's fault");
    }

    private static Path readableByOthers(Path d) throws Exception {
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
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
