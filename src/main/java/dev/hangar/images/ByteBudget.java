package dev.hangar.images;

/**
 * The bytes one image may still write to disk while unpacking. Shared by everything unpacked for one
 * image (the download's archive and any .ova inside it), so nesting cannot multiply the limit.
 */
final class ByteBudget {
    private final long maxBytes;
    private long used;

    ByteBudget(long maxBytes) {
        if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        this.maxBytes = maxBytes;
    }

    /** Fails before anything is written when an entry declares more than is left. */
    void checkDeclared(String what, long declaredBytes) {
        if (declaredBytes > maxBytes - used) {
            throw ImageFailures.tooLarge(what + " (" + declaredBytes + " bytes) would take the unpacked image past the limit of "
                    + maxBytes + " bytes");
        }
    }

    void take(long bytes) {
        used += bytes;
        if (used > maxBytes) {
            throw ImageFailures.tooLarge("unpacked image exceeds the limit of " + maxBytes + " bytes");
        }
    }

    long used() { return used; }
}
