package dev.hangar.images;

import dev.hangar.core.HangarException.Kind;
import dev.hangar.core.HangarException;
import dev.hangar.core.UrlPolicy;

/**
 * The error codes this package reports, in one place so that each code always comes with the same kind.
 * Everything wrong with the image itself is INVALID (the caller asked for a bad image); failures of this
 * host (qemu-img missing, permissions) are INTERNAL, except a full disk: UNAVAILABLE {@code disk-full}.
 */
final class ImageFailures {
    private ImageFailures() {}

    static HangarException downloadFailed(String message) {
        return new HangarException(Kind.INVALID, "image-download-failed", message);
    }

    /** The outbound policy refused the URL or one of its redirects. */
    static HangarException forbidden(String message) {
        return new HangarException(Kind.INVALID, UrlPolicy.IMAGE_URL_FORBIDDEN, message);
    }

    /** The TLS handshake failed: most often a certificate no trusted CA signed. */
    static HangarException tlsFailed(String message) {
        return new HangarException(Kind.INVALID, "image-tls-failed", message);
    }

    /** True when the failure came from TLS (the handshake, or the certificate's checks). */
    static boolean isTls(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) return true;
        }
        return false;
    }

    static HangarException checksumMismatch(String message) {
        return new HangarException(Kind.INVALID, "image-checksum-mismatch", message);
    }

    static HangarException formatUnsupported(String message) {
        return new HangarException(Kind.INVALID, "image-format-unsupported", message);
    }

    static HangarException tooLarge(String message) {
        return new HangarException(Kind.INVALID, "image-too-large", message);
    }

    static HangarException unsafe(String message) {
        return new HangarException(Kind.INVALID, "image-unsafe-archive", message);
    }

    static HangarException noDisk(String message) {
        return new HangarException(Kind.INVALID, "image-no-disk", message);
    }

    static HangarException manifestInvalid(String message) {
        return new HangarException(Kind.INVALID, "image-manifest-invalid", message);
    }

    /** The library (--vm-lib) has no usable folder for a library VM's name: the request names nothing there. */
    static HangarException libraryVmNotFound(String message) {
        return new HangarException(Kind.NOT_FOUND, "library-vm-not-found", message);
    }

    /** This host failed (permissions, a missing tool), not the image; a full disk has a code of its own. */
    static HangarException storeFailed(String message, Throwable cause) {
        if (cause != null && noSpace(cause)) return diskFull(message, cause);
        return new HangarException(Kind.INTERNAL, "image-store-failed", message, cause);
    }

    static final String DISK_FULL = "disk-full";

    /**
     * The file system the data is written to is full (or the quota is used up). A failure of this host,
     * but one the operator can act on, so it is not folded into vm-create-failed.
     */
    static HangarException diskFull(String message, Throwable cause) {
        return new HangarException(Kind.UNAVAILABLE, DISK_FULL, message, cause);
    }

    /** Whether the failure, or one of its causes, is ENOSPC or EDQUOT (as Java and qemu-img word them). */
    static boolean noSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) return true;
        }
        return false;
    }

    /** An exception's text for a message: its message and its causes' (type names where there is no message). */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 4; t = t.getCause(), depth++) {
            String m = t.getMessage();
            String part = m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
            if (text.indexOf(part) >= 0) continue;
            if (!text.isEmpty()) text.append(": ");
            text.append(part);
        }
        return text.toString();
    }
}
