package dev.hangar.security;

/**
 * Why a request's OAuth was refused: the HTTP status (RFC 5849 §3.2: 400 for a malformed or
 * unsupported request, 401 for bad credentials) and a stable code for the JSON error.
 */
public final class OAuthFailure extends Exception {
    private final int status;
    private final String code;

    OAuthFailure(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    static OAuthFailure badRequest(String code, String message) {
        return new OAuthFailure(400, code, message);
    }

    static OAuthFailure unauthorized(String code, String message) {
        return new OAuthFailure(401, code, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
