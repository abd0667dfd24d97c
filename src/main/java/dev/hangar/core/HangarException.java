package dev.hangar.core;

/**
 * A failure with a stable, documented code (e.g. {@code invalid-memory}, {@code image-checksum-mismatch}).
 * The kind says what sort of failure it is; each face maps kinds to its own status codes.
 */
public class HangarException extends RuntimeException {
    public enum Kind { INVALID, NOT_FOUND, CONFLICT, UNSUPPORTED_MEDIA, NOT_ACCEPTABLE, UNAVAILABLE, INTERNAL }

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
