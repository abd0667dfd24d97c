package dev.hangar.api;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The file a Unix-socket listener binds: short enough for the kernel, and nothing there but, at most, a
 * socket nobody answers on any more (left by a service that died), which is replaced.
 */
public final class SocketFile {
    /** The kernel's limit for a socket path (sun_path), less its terminating NUL. */
    static final int MAX_PATH_BYTES = 107;

    private SocketFile() {}

    /**
     * Checks that the path can take the socket: it is short enough, and nothing but a socket nobody
     * answers on is there. Throws IllegalArgumentException with a one-line reason otherwise.
     */
    public static void check(Path socket) {
        if (socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("the socket path " + socket + " is longer than the " + MAX_PATH_BYTES
                    + " bytes a Unix socket path may have");
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        if (!isSocket(socket)) {
            throw new IllegalArgumentException(socket + " exists and is not a socket; remove it or choose another path");
        }
        if (answers(socket)) throw new IllegalArgumentException("another process serves " + socket);
    }

    /** Makes the path ready to bind: checked, its directory made, a stale socket there removed. */
    static void prepare(Path socket) throws IOException {
        try {
            check(socket);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket); // a stale socket: check found nobody answering on it
    }

    private static boolean isSocket(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000; // S_IFSOCK
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ignored = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (ConnectException refused) {
            return false; // the socket of a process that is gone
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot check " + socket + ": " + e.getMessage());
        }
    }
}
