package dev.hangar.images;

import static dev.hangar.images.DiskFormat.ascii;
import static dev.hangar.images.DiskFormat.startsWith;

/** The wrappings a download may come in, recognised by their first bytes: compression and archives. */
enum Packaging {
    GZIP, BZIP2, XZ, ZIP, TAR;

    /** The packaging the first bytes announce, or null when they are not packaged (a bare disk or unknown). */
    static Packaging sniff(byte[] head) {
        if (startsWith(head, 0, new byte[] {0x1f, (byte) 0x8b})) return GZIP;
        if (startsWith(head, 0, ascii("BZh"))) return BZIP2;
        if (startsWith(head, 0, new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0})) return XZ;
        // PK\5\6 is an empty zip: it unpacks to nothing, which then reports image-no-disk.
        if (startsWith(head, 0, new byte[] {'P', 'K', 3, 4}) || startsWith(head, 0, new byte[] {'P', 'K', 5, 6})) return ZIP;
        // "ustar\0" (POSIX) and "ustar " (GNU) both start with these five bytes.
        if (startsWith(head, 257, ascii("ustar"))) return TAR;
        return null;
    }
}
