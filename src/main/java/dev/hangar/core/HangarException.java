package dev.hangar.core;

/**
 * A failure with a stable, documented code (e.g. {@code invalid-memory}, {@code image-checksum-mismatch}).
 * The kind says what sort of failure it is; each face maps kinds to its own status codes.
 */
public class HangarException extends RuntimeException {
    /**
     * What sort of failure. TOO_MANY: a limit on work at once was reached; asking again later may
     * succeed (429). FULL: a limit on what is kept was reached (VMs, disk); something must go first (507).
     */
    public enum Kind { INVALID, NOT_FOUND, CONFLICT, UNAVAILABLE, TOO_MANY, FULL, INTERNAL }

    private final Kind kind;
    private final String code;

    public HangarException(Kind kind, String code, String message) {
        this(kind, code, message, null);
    }

    public HangarException(Kind kind, String code, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.code = code;
    }

    public static HangarException invalid(String code, String message) {
        return new HangarException(Kind.INVALID, code, message);
    }

    public Kind kind() { return kind; }

    public String code() { return code; }
}
