package dev.hangar.security;

import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The server's guard when OAuth is on: every write must be signed (two-legged OAuth 1.0a); a read
 * must be too when {@code readIsProtected} says so for its path (Image Factory v2 protects its reads),
 * else reads stay open, as the seed's Image Factory left them for a browser's quick look.
 * A refusal is the JSON error with a stable code, and 401s carry {@code WWW-Authenticate}.
 */
public final class OAuthGuard implements ApiServer.Guard {
    static final String CHALLENGE = "OAuth realm=\"hangar\"";

    private final OAuth1Verifier verifier;
    private final Predicate<List<String>> readIsProtected;

    /** {@code readIsProtected} gets the path's decoded segments (null for a path that routes nowhere). */
    public OAuthGuard(OAuth1Verifier verifier, Predicate<List<String>> readIsProtected) {
        this.verifier = verifier;
        this.readIsProtected = readIsProtected;
    }

    /** Safe methods (RFC 9110 §9.2.1) read; anything else, known or not, counts as a write. */
    public static boolean isWrite(String method) {
        return !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS") || method.equals("TRACE"));
    }

    @Override
    public ApiServer.Admission admit(Exchange exchange) {
        // A WebSocket is two-way: what its client sends reaches a VM (keys typed into a console), so it is a write.
        boolean write = isWrite(exchange.method()) || "websocket".equalsIgnoreCase(exchange.header("Upgrade"));
        if (!write && (exchange.pathSegments() == null || !readIsProtected.test(exchange.pathSegments()))) {
            return ApiServer.Admission.open();
        }
        if (exchange.bodyTooLarge()) {
            // Its form parameters and body hash cannot be checked; the face would refuse it anyway.
            return ApiServer.Admission.refused(413, "body-too-large", "the body is larger than " + Exchange.MAX_BODY + " bytes", Map.of());
        }
        try {
            return ApiServer.Admission.as(verifier.verify(new OAuth1Verifier.SignedRequest(exchange.method(), exchange.scheme(),
                    exchange.host(), exchange.path(), exchange.rawQuery(), exchange.header("Authorization"),
                    exchange.header("Content-Type"), exchange.rawBody())));
        } catch (OAuthFailure f) {
            return ApiServer.Admission.refused(f.status(), f.code(), f.getMessage(),
                    f.status() == 401 ? Map.of("WWW-Authenticate", CHALLENGE) : Map.of());
        }
    }
}
