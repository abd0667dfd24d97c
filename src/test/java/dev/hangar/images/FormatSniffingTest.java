package dev.hangar.images;

import static dev.hangar.images.TestDisks.convert;
import static dev.hangar.images.TestDisks.qemuImg;
import static dev.hangar.images.TestDisks.rawDisk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Formats are recognised by their bytes, on real files made by qemu-img. */
class FormatSniffingTest {
    @TempDir Path dir;

    @Test
    void recognisesEveryDiskFormatQemuImgMakes() throws Exception {
        Path raw = rawDisk(dir, "disk.raw", 1 << 20);

        assertEquals(DiskFormat.RAW, DiskFormat.detect(raw), "an MBR boot signature marks a raw disk");
        assertEquals(DiskFormat.QCOW2, DiskFormat.detect(convert(raw, "qcow2", dir.resolve("a"))));
        assertEquals(DiskFormat.VMDK, DiskFormat.detect(convert(raw, "vmdk", dir.resolve("b"))), "monolithic sparse (KDMV)");
        assertEquals(DiskFormat.VMDK, DiskFormat.detect(convert(raw, "vmdk", dir.resolve("c"), "-o", "subformat=streamOptimized")));
        assertEquals(DiskFormat.VDI, DiskFormat.detect(convert(raw, "vdi", dir.resolve("d"))));
        assertEquals(DiskFormat.VHDX, DiskFormat.detect(convert(raw, "vhdx", dir.resolve("e"))));
        assertEquals(DiskFormat.VHD, DiskFormat.detect(convert(raw, "vpc", dir.resolve("f"))), "dynamic VHD: conectix at the start");
        assertEquals(DiskFormat.VHD, DiskFormat.detect(convert(raw, "vpc", dir.resolve("g"), "-o", "subformat=fixed")),
                "fixed VHD: an MBR at the start, conectix only in the footer");
    }

    @Test
    void recognisesAVmdkDescriptorText() throws Exception {
        Path descriptor = dir.resolve("flat.vmdk");
        qemuImg(List.of("qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", descriptor.toString(), "1M"));

        assertEquals(DiskFormat.VMDK, DiskFormat.detect(descriptor));
        assertTrue(DiskFormat.isVmdkDescriptor(descriptor));
        assertTrue(Files.exists(dir.resolve("flat-flat.vmdk")));
        assertEquals(List.of("flat-flat.vmdk"), DiskReferences.vmdkExtents(descriptor));
    }

    @Test
    void recognisesAGptDiskAsRaw() throws Exception {
        byte[] disk = new byte[4096];
        System.arraycopy("EFI PART".getBytes(), 0, disk, 512, 8);
        Path p = dir.resolve("gpt.img");
        Files.write(p, disk);
        assertEquals(DiskFormat.RAW, DiskFormat.detect(p));
    }

    @Test
    void randomBytesAreNoFormat() throws Exception {
        byte[] noise = new byte[64 * 1024];
        new Random(7).nextBytes(noise);
        noise[510] = 0; // no accidental boot signature
        Path p = dir.resolve("noise");
        Files.write(p, noise);

        assertNull(DiskFormat.detect(p));
        assertNull(Packaging.sniff(noise));
    }

    @Test
    void recognisesCompressionAndArchivesByTheirFirstBytes() {
        byte[] tar = Archives.tar(Archives.file("README", "hello"));

        assertEquals(Packaging.TAR, Packaging.sniff(tar), "ustar at offset 257");
        assertEquals(Packaging.GZIP, Packaging.sniff(Archives.gzip(tar)));
        assertEquals(Packaging.BZIP2, Packaging.sniff(Archives.bzip2(tar)));
        assertEquals(Packaging.ZIP, Packaging.sniff(Archives.zip(Archives.file("README", "hello"))));
        assertEquals(Packaging.XZ, Packaging.sniff(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 0, 4}));
        assertNull(Packaging.sniff("# Disk DescriptorFile".getBytes()));
    }
}
