package dev.hangar.builds;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Streams a file through a SHA-256 digest (and optionally into an output) in 1 MiB pieces, reporting
 * progress by bytes and checking for cancellation between pieces: a multi-GiB image is never held in
 * memory, and a cancelled build stops within one piece.
 */
public final class FileCopy {
    private static final int CHUNK = 1 << 20;

    private FileCopy() {}

    /** The lowercase hex SHA-256 of the file. Throws build-cancelled when the progress says so. */
    public static String sha256(Path file, ProgressSpan progress, String activity) throws IOException {
        return copy(file, OutputStream.nullOutputStream(), progress, activity);
    }

    /** Copies file into out (not closed) and returns the hex SHA-256 of what was copied. */
    public static String copy(Path file, OutputStream out, ProgressSpan progress, String activity) throws IOException {
        MessageDigest sha256 = sha256();
        copy(file, out, sha256, progress, activity);
        return HexFormat.of().formatHex(sha256.digest());
    }

    /**
     * The one copy loop: file into out (not closed), through the digest when one is given, progress 0 to
     * 100 over the file's size as it was when the copy began; returns the bytes copied.
     */
    public static long copy(Path file, OutputStream out, MessageDigest digest, ProgressSpan progress, String activity) throws IOException {
        long total = Files.size(file);
        long done = 0;
        byte[] buffer = new byte[CHUNK];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (progress.cancelled()) throw BuildErrors.cancelled(activity);
                if (digest != null) digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
                done += n;
                progress.reportBytes(done, total, activity);
            }
        }
        return done;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
