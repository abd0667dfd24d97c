package dev.hangar.builds.targets;

import static dev.hangar.builds.TestImages.info;
import static dev.hangar.builds.TestImages.patternedDisk;
import static dev.hangar.builds.TestImages.qemuImg;
import static dev.hangar.builds.TestImages.rawBytes;
import static dev.hangar.builds.TestImages.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.builds.TestImages.RecordingProgress;
import dev.hangar.builds.TestImages;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.images.GoldImageStore;
import dev.hangar.process.Command;
import dev.hangar.testing.ImageServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each target made from a small raw disk with real qemu-img, checked by qemu-img and by Hangar's own image reader. */
class TargetWriterTest {
    static final int DISK_BYTES = 8 << 20;

    @TempDir Path tmp;
    Path out;
    Path base;
    byte[] baseBytes;
    final TargetWriter writer = new TargetWriter();

    @BeforeEach
    void setUp() throws IOException {
        baseBytes = patternedDisk(DISK_BYTES, 42);
        base = TestImages.write(tmp.resolve("base/base.raw"), baseBytes);
        out = Files.createDirectories(tmp.resolve("out"));
    }

    List<String> outputNames() throws IOException {
        try (Stream<Path> files = Files.list(out)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @CsvSource({"kvm, qcow2, .qcow2", "openstack-kvm, qcow2, .qcow2", "hyperv, vhdx, .vhdx"})
    void diskTargetsPassQemuImgCheckAndConvertBackToTheSameBytes(String target, String format, String extension) throws IOException {
        RecordingProgress progress = new RecordingProgress();
        Path image = writer.convert(base, target, "web server", out, progress);

        assertEquals(out.resolve("web_server" + extension), image);
        assertEquals(List.of("web_server" + extension), outputNames(), "only the image is left in the output directory");
        assertEquals(format, info(image).path("format").asText());
        Command.Result check = qemuImg("check", "-f", format, image.toString());
        assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
        assertArrayEquals(baseBytes, rawBytes(image, tmp));
        assertEquals(100, progress.percents.get(progress.percents.size() - 1));
    }

    @Test
    void rawIsASparseCopyOfTheSameBytes() throws IOException {
        Path image = writer.convert(base, "raw", "plain", out, new RecordingProgress());
        assertEquals(out.resolve("plain.raw"), image);
        assertArrayEquals(baseBytes, Files.readAllBytes(image));
        // 2 MiB of the 8 are data: a copy that wrote the zeros would take all 8 on disk.
        long allocated = info(image).path("actual-size").asLong();
        assertTrue(allocated < DISK_BYTES / 2, "raw copy allocates " + allocated + " bytes of " + DISK_BYTES);
    }

    @Test
    void vmwareBoxIsAVmwarevmFolderWithVmxAndMonolithicSparseVmdk() throws IOException {
        Path box = writer.convert(base, "vmware", "box", out, new RecordingProgress());
        assertEquals(out.resolve("box.vmwarevm.tar.gz"), box);
        assertEquals(List.of("box.vmwarevm.tar.gz"), outputNames());

        Map<String, byte[]> entries = untar(box, true, tmp.resolve("unpacked"));
        assertEquals(List.of("box.vmwarevm/", "box.vmwarevm/box.vmx", "box.vmwarevm/box.vmdk"), List.copyOf(entries.keySet()));
        String vmx = new String(entries.get("box.vmwarevm/box.vmx"), StandardCharsets.UTF_8);
        for (String line : List.of("numvcpus = \"2\"", "memsize = \"1024\"", "guestOS = \"otherlinux-64\"",
                "sata0:0.fileName = \"box.vmdk\"", "ethernet0.virtualDev = \"e1000\"")) {
            assertTrue(vmx.contains(line), "vmx lacks " + line + ":\n" + vmx);
        }
        Path vmdk = tmp.resolve("unpacked/box.vmwarevm/box.vmdk");
        assertEquals("monolithicSparse", info(vmdk).path("format-specific").path("data").path("create-type").asText());
        assertEquals(0, qemuImg("check", "-f", "vmdk", vmdk.toString()).exitCode());
        assertArrayEquals(baseBytes, rawBytes(vmdk, tmp));
    }

    @Test
    void vsphereMakesTheSameBox() throws IOException {
        Path box = writer.convert(base, "vsphere", "v", out, new RecordingProgress());
        assertEquals("v.vmwarevm.tar.gz", box.getFileName().toString());
        assertTrue(untar(box, true, tmp.resolve("u")).containsKey("v.vmwarevm/v.vmx"));
    }

    @Test
    void theVmwareBoxIsWhatVmsTakes() throws IOException {
        Path box = writer.convert(base, "vmware", "box", out, new RecordingProgress());
        GoldImage gold = obtainThroughHangarsReader(box);
        assertEquals(1, gold.disks().size());
        assertArrayEquals(baseBytes, rawBytes(gold.disks().get(0), tmp));
        assertEquals(2, gold.profile().cpus());
        assertEquals(1024, gold.profile().memoryMib());
        assertEquals("otherlinux-64", gold.profile().guestOs());
        assertEquals(DiskBus.SATA, gold.profile().diskBus());
        assertEquals(NicModel.E1000, gold.profile().nic());
    }

    @Test
    void ovaHoldsTheDescriptorFirstAManifestAndAStreamOptimizedDisk() throws IOException {
        Path ova = new TargetWriter(new VirtualHardware(4, 2048, "debian12-64")).convert(base, "ova", "appliance", out, new RecordingProgress());
        assertEquals(out.resolve("appliance.ova"), ova);
        assertEquals(List.of("appliance.ova"), outputNames());

        Map<String, byte[]> entries = untar(ova, false, tmp.resolve("unpacked"));
        assertEquals(List.of("appliance.ovf", "appliance.mf", "appliance-disk1.vmdk"), List.copyOf(entries.keySet()));
        String manifest = new String(entries.get("appliance.mf"), StandardCharsets.UTF_8);
        assertEquals("SHA256(appliance.ovf)= " + sha256(entries.get("appliance.ovf")) + "\n"
                + "SHA256(appliance-disk1.vmdk)= " + sha256(entries.get("appliance-disk1.vmdk")) + "\n", manifest);
        String ovf = new String(entries.get("appliance.ovf"), StandardCharsets.UTF_8);
        assertTrue(ovf.contains("ovf:size=\"" + entries.get("appliance-disk1.vmdk").length + "\""), ovf);
        assertTrue(ovf.contains("ovf:capacity=\"" + DISK_BYTES + "\""), ovf);

        Path vmdk = tmp.resolve("unpacked/appliance-disk1.vmdk");
        assertEquals("streamOptimized", info(vmdk).path("format-specific").path("data").path("create-type").asText());
        assertEquals(0, qemuImg("check", "-f", "vmdk", vmdk.toString()).exitCode());
        assertArrayEquals(baseBytes, rawBytes(vmdk, tmp));
    }

    @Test
    void theOvaIsWhatVmsTakes() throws IOException {
        Path ova = new TargetWriter(new VirtualHardware(4, 2048, "otherlinux-64")).convert(base, "ova", "appliance", out, new RecordingProgress());
        GoldImage gold = obtainThroughHangarsReader(ova);
        assertArrayEquals(baseBytes, rawBytes(gold.disks().get(0), tmp));
        assertEquals(4, gold.profile().cpus());
        assertEquals(2048, gold.profile().memoryMib());
        assertEquals("otherLinux64Guest", gold.profile().guestOs());
        assertEquals(DiskBus.SATA, gold.profile().diskBus());
        assertEquals(NicModel.E1000, gold.profile().nic());
    }

    @Test
    void mockIsTinyAndImmediate() throws IOException {
        long started = System.nanoTime();
        Path mock = writer.convert(base, "mock", "mock-1", out, new RecordingProgress());
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 500, "mock took " + millis + " ms");
        assertTrue(Files.size(mock) < 100, "mock is " + Files.size(mock) + " bytes");
        assertTrue(Files.readString(mock).contains("mock-1"));
        assertEquals(List.of("mock-1.mock"), outputNames());
    }

    @Test
    void cancellingEndsQemuImgAndLeavesNothing() throws IOException {
        // Random data compresses slowly: a streamOptimized conversion of 256 MiB runs for seconds.
        Path big = TestImages.randomFile(tmp.resolve("base/big.raw"), 256, 7);
        RecordingProgress progress = new RecordingProgress(p -> p > 0);
        long started = System.nanoTime();
        HangarException e = assertThrows(HangarException.class, () -> writer.convert(big, "ova", "big", out, progress));
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertEquals("build-cancelled", e.code());
        assertTrue(progress.percents.stream().anyMatch(p -> p > 0 && p < 60), "conversion progress was reported: " + progress.percents);
        assertTrue(millis < 20_000, "cancellation took " + millis + " ms");
        assertEquals(List.of(), TestImages.runningQemuImg(), "qemu-img was ended");
        assertEquals(List.of(), outputNames(), "nothing is left: no image, no partial file, no scratch vmdk");
    }

    @Test
    void aBuildCancelledBeforeItStartsWritesNothing() throws IOException {
        RecordingProgress progress = new RecordingProgress();
        progress.cancel();
        HangarException e = assertThrows(HangarException.class, () -> writer.convert(base, "kvm", "x", out, progress));
        assertEquals("build-cancelled", e.code());
        assertEquals(List.of(), outputNames());
    }

    @Test
    void unknownTargetsAreRefused() {
        HangarException e = assertThrows(HangarException.class, () -> writer.convert(base, "ec2", "x", out, new RecordingProgress()));
        assertEquals("invalid-target", e.code());
        assertEquals(HangarException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().contains("ec2"));
        assertFalse(writer.targets().contains("ec2"));
        assertEquals(List.of("kvm", "openstack-kvm", "raw", "hyperv", "vsphere", "vmware", "ova", "mock"), List.copyOf(writer.targets()));
    }

    @Test
    void qemuImgFailuresAreTargetFailedWithItsMessage() throws IOException {
        // The partial name is taken by a directory: qemu-img cannot create its output there.
        Files.createDirectory(out.resolve(".x.qcow2.partial"));
        HangarException e = assertThrows(HangarException.class, () -> writer.convert(base, "kvm", "x", out, new RecordingProgress()));
        assertEquals("target-failed", e.code());
        assertTrue(e.getMessage().contains("qemu-img convert to qcow2 exited"), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("directory"), "qemu-img's own words: " + e.getMessage());
        assertFalse(Files.exists(out.resolve("x.qcow2")));
    }

    @Test
    void aMissingBaseOrAnExistingImageFails() throws IOException {
        HangarException missing = assertThrows(HangarException.class,
                () -> writer.convert(tmp.resolve("nope.raw"), "kvm", "x", out, new RecordingProgress()));
        assertEquals("target-failed", missing.code());
        Files.writeString(out.resolve("x.qcow2"), "someone else's");
        HangarException exists = assertThrows(HangarException.class, () -> writer.convert(base, "kvm", "x", out, new RecordingProgress()));
        assertEquals("target-failed", exists.code());
        assertEquals("someone else's", Files.readString(out.resolve("x.qcow2")));
    }

    @Test
    void namesBecomeSafeFileStems() throws IOException {
        assertEquals("_evil_name", TargetWriter.fileStem("../evil name"));
        assertEquals("image", TargetWriter.fileStem("..."));
        assertEquals("a".repeat(64), TargetWriter.fileStem("a".repeat(100)));
        Path image = writer.convert(base, "mock", "../../etc/passwd", out, new RecordingProgress());
        assertEquals(out, image.getParent());
    }

    /** Serves the image over HTTP and lets Hangar's gold image store fetch it, as a /vms create does. */
    private GoldImage obtainThroughHangarsReader(Path image) {
        try (ImageServer server = new ImageServer()) {
            String url = server.serve("/" + image.getFileName(), image);
            GoldImageStore store = new GoldImageStore(tmp.resolve("images"), 1L << 30, HttpClient.newHttpClient());
            return store.obtain(new ImageRef(url, TestImages.sha256(image), ChecksumType.SHA256));
        }
    }

    /** The archive's entries in order; files are also extracted under dir. */
    private static Map<String, byte[]> untar(Path archive, boolean gzipped, Path dir) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (InputStream file = Files.newInputStream(archive);
             InputStream raw = gzipped ? new GzipCompressorInputStream(file) : file;
             TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                byte[] content = tar.readAllBytes();
                entries.put(entry.getName(), content);
                if (entry.isFile()) TestImages.write(dir.resolve(entry.getName()), content);
            }
        }
        return entries;
    }
}
