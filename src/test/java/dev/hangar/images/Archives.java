package dev.hangar.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds tar and zip archives in memory for tests, including the malicious kinds. */
final class Archives {
    enum Type { FILE, DIR, SYMLINK, HARDLINK, CHAR_DEVICE, FIFO }

    record Entry(String name, Type type, byte[] data, String link) {}

    static Entry file(String name, byte[] data) { return new Entry(name, Type.FILE, data, null); }

    static Entry file(String name, String text) { return file(name, text.getBytes(StandardCharsets.UTF_8)); }

    static Entry dir(String name) { return new Entry(name, Type.DIR, new byte[0], null); }

    static Entry symlink(String name, String target) { return new Entry(name, Type.SYMLINK, new byte[0], target); }

    static Entry hardlink(String name, String target) { return new Entry(name, Type.HARDLINK, new byte[0], target); }

    static Entry charDevice(String name) { return new Entry(name, Type.CHAR_DEVICE, new byte[0], null); }

    static Entry fifo(String name) { return new Entry(name, Type.FIFO, new byte[0], null); }

    private Archives() {}

    static byte[] tar(Entry... entries) {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry t = switch (e.type()) {
                    // "true": keep absolute names as given (by default commons-compress strips the leading '/').
                    case FILE -> new TarArchiveEntry(e.name(), true);
                    case DIR -> new TarArchiveEntry(e.name().endsWith("/") ? e.name() : e.name() + "/", true);
                    case SYMLINK -> new TarArchiveEntry(e.name(), TarConstants.LF_SYMLINK, true);
                    case HARDLINK -> new TarArchiveEntry(e.name(), TarConstants.LF_LINK, true);
                    case CHAR_DEVICE -> new TarArchiveEntry(e.name(), TarConstants.LF_CHR, true);
                    case FIFO -> new TarArchiveEntry(e.name(), TarConstants.LF_FIFO, true);
                };
                if (e.link() != null) t.setLinkName(e.link());
                if (e.type() == Type.CHAR_DEVICE) {
                    t.setDevMajor(1);
                    t.setDevMinor(3);
                }
                t.setSize(e.type() == Type.FILE ? e.data().length : 0);
                tar.putArchiveEntry(t);
                if (e.type() == Type.FILE) tar.write(e.data());
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] zip(Entry... entries) {
        var bytes = new ByteArrayOutputStream();
        try (var zip = new ZipArchiveOutputStream(bytes)) {
            for (Entry e : entries) {
                ZipArchiveEntry z = new ZipArchiveEntry(e.type() == Type.DIR && !e.name().endsWith("/") ? e.name() + "/" : e.name());
                byte[] content = switch (e.type()) {
                    case FILE -> e.data();
                    case SYMLINK -> e.link().getBytes(StandardCharsets.UTF_8);
                    default -> new byte[0];
                };
                switch (e.type()) {
                    case FILE -> z.setUnixMode(0100644);
                    case DIR -> z.setUnixMode(0040755);
                    case SYMLINK -> z.setUnixMode(0120777);
                    case CHAR_DEVICE -> z.setUnixMode(0020644);
                    case FIFO -> z.setUnixMode(0010644);
                    case HARDLINK -> throw new IllegalArgumentException("zip has no hard links");
                }
                zip.putArchiveEntry(z);
                zip.write(content);
                zip.closeArchiveEntry();
            }
            zip.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        var bytes = new ByteArrayOutputStream();
        try (var out = new GzipCompressorOutputStream(bytes)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] bzip2(byte[] data) {
        var bytes = new ByteArrayOutputStream();
        try (var out = new BZip2CompressorOutputStream(bytes)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
