package dev.hangar.images;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The disk formats Hangar accepts, recognised by their bytes (never by file name: images are named
 * carelessly, e.g. qcow2 cloud images called {@code .img}).
 */
enum DiskFormat {
    QCOW2("qcow2", "qcow2"),
    VMDK("vmdk", "vmdk"),
    VDI("vdi", "vdi"),
    VHDX("vhdx", "vhdx"),
    /** qemu calls VHD "vpc" (Virtual PC, where the format comes from). */
    VHD("vpc", "vhd"),
    RAW("raw", "raw");

    /** Bytes of a disk's start that {@link #sniff} needs: the GPT header sits at 512..519. */
    static final int HEAD_BYTES = 1024;
    private static final int VHD_FOOTER_BYTES = 512;

    private final String qemuName;
    private final String extension;

    DiskFormat(String qemuName, String extension) {
        this.qemuName = qemuName;
        this.extension = extension;
    }

    /** The name qemu-img's {@code -f} takes. */
    String qemuName() { return qemuName; }

    String extension() { return extension; }

    /**
     * The format a disk's first bytes announce, or null. Raw is only claimed for a disk that has a
     * partition table (an MBR boot signature or a GPT header): raw bytes have no header of their own.
     * A fixed VHD looks raw here; {@link #detect(Path)} tells it apart by its footer.
     */
    static DiskFormat sniff(byte[] head) {
        if (startsWith(head, 0, new byte[] {'Q', 'F', 'I', (byte) 0xfb})) return QCOW2;
        if (startsWith(head, 0, ascii("KDMV")) || startsWith(head, 0, ascii("# Disk DescriptorFile"))) return VMDK;
        if (startsWith(head, 0x40, new byte[] {0x7f, 0x10, (byte) 0xda, (byte) 0xbe})) return VDI;
        if (startsWith(head, 0, ascii("vhdxfile"))) return VHDX;
        if (startsWith(head, 0, ascii("conectix"))) return VHD;
        if (head.length >= 512 && (head[510] & 0xff) == 0x55 && (head[511] & 0xff) == 0xaa) return RAW;
        if (startsWith(head, 512, ascii("EFI PART"))) return RAW;
        return null;
    }

    /** The format of a disk file by its bytes, looking at its footer too (a fixed VHD has its signature only there). */
    static DiskFormat detect(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(HEAD_BYTES);
        }
        DiskFormat byHead = sniff(head);
        if (byHead != null && byHead != RAW) return byHead;
        if (endsWithVhdFooter(file)) return VHD;
        return byHead;
    }

    /** True for a VMDK descriptor: a small text file naming the extents that hold the data. */
    static boolean isVmdkDescriptor(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return startsWith(in.readNBytes(32), 0, ascii("# Disk DescriptorFile"));
        }
    }

    private static boolean endsWithVhdFooter(Path file) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            long size = ch.size();
            if (size < VHD_FOOTER_BYTES) return false;
            ByteBuffer footer = ByteBuffer.allocate(8);
            ch.position(size - VHD_FOOTER_BYTES);
            while (footer.hasRemaining() && ch.read(footer) > 0) {
                // keep reading until the 8 signature bytes are in
            }
            return Arrays.equals(footer.array(), ascii("conectix"));
        }
    }

    static boolean startsWith(byte[] data, int offset, byte[] magic) {
        if (data.length < offset + magic.length) return false;
        return Arrays.equals(data, offset, offset + magic.length, magic, 0, magic.length);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
