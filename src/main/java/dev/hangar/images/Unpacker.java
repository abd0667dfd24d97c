package dev.hangar.images;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZUtils;

/**
 * Unpacks a stream in one pass into an {@link UnpackDir}, deciding what it is by its bytes as they come:
 * gzip, bzip2 or xz compression (peeled off, any number of layers up to a few), then a tar or zip
 * archive, or a bare disk (which becomes {@code image.<format>}).
 *
 * <p>xz needs org.tukaani:xz on the class path; commons-compress declares it optional and Hangar does not
 * ship it today, so an xz download fails with image-format-unsupported unless the jar is added.
 */
final class Unpacker {
    private static final int MAX_COMPRESSION_LAYERS = 3;
    /** Name of a bare (unarchived) disk; the extension is the format its bytes announce. */
    static final String BARE_DISK_NAME = "image";
    /** A zip symlink's target is its content; anything longer than this is not a path. */
    private static final int MAX_LINK_TARGET = 4096;

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    /** Zip tail kept for reading the central directory: ~50 bytes an entry, so far more than any VM bundle needs. */
    private static final int ZIP_TAIL_BYTES = 4 << 20;

    private final UnpackDir dir;

    Unpacker(UnpackDir dir) {
        this.dir = dir;
    }

    /**
     * Reads {@code in} to the end of what it holds (an archive's end marker, or the end of a bare disk).
     * Does not close {@code in}. Returns false when the bytes are none of the known formats (nothing is
     * kept then). Throws IOException for damaged data, HangarException for everything else.
     */
    boolean unpack(InputStream in) throws IOException {
        // Decompressors close what they wrap; the caller still needs its stream afterwards (to drain it).
        InputStream stream = buffered(new FilterInputStream(in) {
            @Override
            public void close() {
                // the caller owns the underlying stream
            }
        });
        try {
            for (int layer = 0; ; layer++) {
                byte[] head = peek(stream, DiskFormat.HEAD_BYTES);
                Packaging packaging = Packaging.sniff(head);
                if (packaging == null) return writeBareDisk(stream, head);
                boolean compressed = packaging == Packaging.GZIP || packaging == Packaging.BZIP2 || packaging == Packaging.XZ;
                if (compressed && layer == MAX_COMPRESSION_LAYERS) {
                    throw ImageFailures.formatUnsupported("image is compressed more than " + MAX_COMPRESSION_LAYERS + " times");
                }
                switch (packaging) {
                    case GZIP -> stream = buffered(GzipCompressorInputStream.builder().setInputStream(stream)
                            .setDecompressConcatenated(true).get());
                    case BZIP2 -> stream = buffered(new BZip2CompressorInputStream(stream, true));
                    case XZ -> {
                        if (!XZUtils.isXZCompressionAvailable()) {
                            throw ImageFailures.formatUnsupported("xz-compressed images are not supported by this build"
                                    + " (org.tukaani:xz is not on the class path); use gzip or bzip2");
                        }
                        stream = buffered(new XZCompressorInputStream(stream, true));
                    }
                    case TAR -> {
                        extractTar(new TarArchiveInputStream(stream));
                        return true;
                    }
                    case ZIP -> {
                        extractZip(stream);
                        return true;
                    }
                }
            }
        } finally {
            stream.close(); // frees decompressors' native memory; the caller's stream stays open
        }
    }

    private void extractTar(TarArchiveInputStream tar) throws IOException {
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            String name = entry.getName();
            // Order matters: TarArchiveEntry.isFile() is also true for devices and FIFOs.
            if (entry.isCharacterDevice() || entry.isBlockDevice()) {
                throw ImageFailures.unsafe("archive contains a device file: " + name);
            } else if (entry.isFIFO()) {
                throw ImageFailures.unsafe("archive contains a FIFO: " + name);
            } else if (entry.isGlobalPaxHeader()) {
                continue; // metadata for the following entries (git archive writes one), not a file
            } else if (entry.isDirectory()) {
                dir.directory(name);
            } else if (entry.isSymbolicLink()) {
                dir.symlink(name, entry.getLinkName());
            } else if (entry.isLink()) {
                dir.hardLink(name, entry.getLinkName());
            } else if (entry.isFile()) {
                dir.file(name, entry.getRealSize(), tar);
            } else {
                throw ImageFailures.unsafe("archive entry " + name + " has an unsupported type '" + (char) entry.getLinkFlag() + "'");
            }
        }
        dir.checkLinks();
    }

    private void extractZip(InputStream stream) throws IOException {
        ZipCentralDirectory.Tail tail = new ZipCentralDirectory.Tail(stream, ZIP_TAIL_BYTES);
        ZipArchiveInputStream zip = new ZipArchiveInputStream(tail, StandardCharsets.UTF_8.name(), true, true);
        ZipArchiveEntry entry;
        while ((entry = zip.getNextEntry()) != null) {
            String name = zipName(entry.getName());
            // Only zips carrying the ASi extra field say "symlink" this early; see ZipCentralDirectory for the rest.
            int type = entry.getUnixMode() & S_IFMT;
            if (type == S_IFLNK) {
                dir.symlink(name, linkTarget(name, zip));
            } else if (isSpecialFile(type)) {
                throw ImageFailures.unsafe("archive entry " + name + " is a device, FIFO or socket");
            } else if (entry.isDirectory()) {
                dir.directory(name);
            } else {
                if (!zip.canReadEntryData(entry)) {
                    throw new IOException("zip entry " + name + " uses a compression method or encryption that cannot be read");
                }
                dir.file(name, entry.getSize(), zip);
            }
        }
        // The zip reader has read through the central directory: now each entry's real type is known.
        for (ZipCentralDirectory.Entry e : ZipCentralDirectory.read(tail)) {
            String name = zipName(e.name());
            int type = e.unixMode() & S_IFMT;
            if (type == S_IFLNK) {
                dir.fileToSymlink(name, MAX_LINK_TARGET);
            } else if (isSpecialFile(type)) {
                throw ImageFailures.unsafe("archive entry " + name + " is a device, FIFO or socket");
            }
        }
        dir.checkLinks();
    }

    /** A Unix file type (mode & S_IFMT) that is neither unset, a regular file, a directory nor a link. */
    private static boolean isSpecialFile(int type) {
        return type != 0 && type != S_IFREG && type != S_IFDIR && type != S_IFLNK;
    }

    /** Some Windows tools write '\\' as the separator; treat it as one so names and checks see the real path. */
    private static String zipName(String name) {
        return name.replace('\\', '/');
    }

    private static String linkTarget(String name, InputStream data) throws IOException {
        byte[] target = data.readNBytes(MAX_LINK_TARGET + 1);
        if (target.length > MAX_LINK_TARGET) throw ImageFailures.unsafe("symlink " + name + " has an overlong target");
        return new String(target, StandardCharsets.UTF_8);
    }

    /**
     * A stream that is no archive: a disk if its head says so. Unknown bytes are written too, because a
     * fixed VHD carries its signature only in a footer at the very end; if the end shows none, the file
     * is deleted and the image reported unsupported.
     */
    private boolean writeBareDisk(InputStream stream, byte[] head) throws IOException {
        DiskFormat byHead = DiskFormat.sniff(head);
        String name = BARE_DISK_NAME + (byHead == null ? "" : "." + byHead.extension());
        dir.file(name, -1, stream);
        Path file = dir.root().resolve(name);
        DiskFormat actual = UnpackDir.local(() -> DiskFormat.detect(file));
        if (actual == null) {
            UnpackDir.local(() -> Files.deleteIfExists(file));
            return false;
        }
        if (actual != byHead) {
            UnpackDir.local(() -> Files.move(file, file.resolveSibling(BARE_DISK_NAME + "." + actual.extension())));
        }
        return true;
    }

    private static InputStream buffered(InputStream in) {
        return new BufferedInputStream(in, 65536);
    }

    private static byte[] peek(InputStream in, int n) throws IOException {
        in.mark(n);
        byte[] head = in.readNBytes(n);
        in.reset();
        return head;
    }
}
