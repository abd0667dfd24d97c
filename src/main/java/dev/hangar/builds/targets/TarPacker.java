package dev.hangar.builds.targets;

import dev.hangar.builds.FileCopy;
import dev.hangar.builds.ProgressSpan;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a tar (ustar; a PAX header only for a file over 8 GiB, which plain ustar cannot size) of
 * directories, small texts and large files, streaming the files with progress and cancellation checks.
 */
final class TarPacker implements Closeable {
    private final TarArchiveOutputStream tar;
    private final Date mtime = Date.from(Instant.now());

    TarPacker(OutputStream out) {
        tar = new TarArchiveOutputStream(out);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    }

    void directory(String name) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name.endsWith("/") ? name : name + "/"); // the slash makes it a directory (0755)
        entry.setModTime(mtime);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
    }

    void bytes(String name, byte[] content) throws IOException {
        TarArchiveEntry entry = fileEntry(name, content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    /** Streams file into the archive as name; progress runs 0 to 100 over its bytes. */
    void file(String name, Path file, ProgressSpan progress, String activity) throws IOException {
        long size = Files.size(file);
        tar.putArchiveEntry(fileEntry(name, size));
        long done = FileCopy.copy(file, tar, null, progress, activity);
        if (done != size) throw new IOException(file.getFileName() + " changed size while it was packed");
        tar.closeArchiveEntry();
    }

    private TarArchiveEntry fileEntry(String name, long size) {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(size);
        entry.setMode(TarArchiveEntry.DEFAULT_FILE_MODE); // 0644, a regular file
        entry.setModTime(mtime);
        return entry;
    }

    /** Writes the end-of-archive blocks and closes the stream below. */
    @Override
    public void close() throws IOException {
        tar.close();
    }
}
