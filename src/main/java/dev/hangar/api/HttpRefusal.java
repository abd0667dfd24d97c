package dev.hangar.api;

/**
 * A refusal only HTTP has words for (415 for a body's media type, 406 for an Accept the face cannot
 * answer), as opposed to the core's {@link dev.hangar.core.HangarException}: thrown by a face or
 * {@link Exchange}, answered by {@link ApiServer} in the one error shape, with its status and code.
 */
public final class HttpRefusal extends RuntimeException {
    private final int status;
    private final String code;

    public HttpRefusal(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public static HttpRefusal unsupportedMedia(String message) {
        return new HttpRefusal(415, "unsupported-media-type", message);
    }

    public static HttpRefusal notAcceptable(String message) {
        return new HttpRefusal(406, "not-acceptable", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
