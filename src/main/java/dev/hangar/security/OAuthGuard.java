package dev.hangar.security;

import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.ui.Logins;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The server's guard when OAuth is on: every write must be signed (two-legged OAuth 1.0a); a read
 * must be too when {@code readIsProtected} says so for its path (Image Factory v2 protects its reads),
 * else reads stay open, as the seed's Image Factory left them for a browser's quick look.
 * A refusal is the JSON error with a stable code, and 401s carry {@code WWW-Authenticate}.
 *
 * <p>The web console's browser signs nothing: it logs in once (POST /ui/session, open to all, where
 * UiFace checks a client's key and secret) and its session cookie stands for that client. A write by
 * cookie must also carry {@code X-Hangar-Session} (a cross-site form cannot set a header, so it cannot
 * ride on the cookie), and a WebSocket upgrade by cookie must come from a page of this origin
 * ({@code Origin} is the scheme and Host the request came to): a WebSocket is not bound by the
 * same-origin policy. A WebSocket (a console one types into) counts as a write.
 */
public final class OAuthGuard implements ApiServer.Guard {
    static final String CHALLENGE = "OAuth realm=\"hangar\"";
    /** The header a web console's write carries besides its session cookie. */
    public static final String SESSION_HEADER = Logins.SESSION_HEADER;
    /** Where the web console logs in and out: open, since it is how a browser gets its credentials. */
    static final List<String> SESSION_PATH = List.of("ui", "session");

    /** Failures that look like guessing: the client is told one word for both, the audit log which. */
    private static final java.util.Set<String> GUESSES = java.util.Set.of("oauth-unknown-client", "oauth-invalid-signature",
            "oauth-body-hash-mismatch", "oauth-body-hash-missing");

    private final OAuth1Verifier verifier;
    private final Predicate<List<String>> readIsProtected;
    private final UiSessions sessions;
    private final FailureLimiter failures;

    /** {@code readIsProtected} gets the path's decoded segments (null for a path that routes nowhere). */
    public OAuthGuard(OAuth1Verifier verifier, Predicate<List<String>> readIsProtected) {
        this(verifier, readIsProtected, null);
    }

    /** As above, and a valid cookie of these web console sessions also admits (null: none does). */
    public OAuthGuard(OAuth1Verifier verifier, Predicate<List<String>> readIsProtected, UiSessions sessions) {
        this(verifier, readIsProtected, sessions, new FailureLimiter(Integer.MAX_VALUE, java.time.Duration.ofMinutes(1), java.time.Clock.systemUTC()));
    }

    /**
     * As above, and past {@code failures}' limit of failed signatures from one source address, that source
     * is answered 429 too-many-failures until a minute has passed (share one limiter between listeners).
     */
    public OAuthGuard(OAuth1Verifier verifier, Predicate<List<String>> readIsProtected, UiSessions sessions, FailureLimiter failures) {
        this.verifier = verifier;
        this.readIsProtected = readIsProtected;
        this.sessions = sessions;
        this.failures = failures;
    }

    /**
     * The reads that stay unsigned even with OAuth on: the health checks an orchestrator polls, and the
     * web console's page, its assets and its session (how a browser learns it must log in), none of
     * which shows anything of a VM.
     */
    public static boolean alwaysOpen(List<String> segments) {
        if (segments.isEmpty()) return true; // "/": a redirect to the console
        String first = segments.get(0);
        if (segments.size() == 1) return first.equals("healthz") || first.equals("readyz") || first.equals("ui");
        return first.equals("ui") && (segments.get(1).equals("assets") || segments.equals(SESSION_PATH));
    }

    @Override
    public ApiServer.Admission admit(Exchange exchange) {
        // A WebSocket is two-way: what its client sends reaches a VM (keys typed into a console), so it is a write.
        boolean upgrade = exchange.isWebSocketUpgrade();
        boolean write = exchange.isWrite() || upgrade;
        if (!write && (exchange.pathSegments() == null || !readIsProtected.test(exchange.pathSegments()))) {
            return ApiServer.Admission.open();
        }
        if (sessions != null && SESSION_PATH.equals(exchange.pathSegments()) && !upgrade) {
            return ApiServer.Admission.open(); // logging in or out: UiFace checks what it is sent
        }
        String token = sessions == null ? null : Logins.tokenFrom(exchange.header("Cookie"));
        String authorization = exchange.header("Authorization");
        if (token != null && (authorization == null || authorization.isBlank())) {
            return bySession(exchange, token, write, upgrade);
        }
        if (exchange.bodyTooLarge()) {
            // Its form parameters and body hash cannot be checked; the face would refuse it anyway.
            return ApiServer.Admission.refused(413, "body-too-large", "the body is larger than " + Exchange.MAX_BODY + " bytes", Map.of());
        }
        String source = exchange.remoteAddress();
        java.time.Duration wait = failures.waitFor(source);
        if (!wait.isZero()) {
            return ApiServer.Admission.refused(429, "too-many-failures", failures.limit() + " requests from " + source
                    + " failed their signature in the last " + failures.window().toSeconds() + " s: wait " + wait.toSeconds() + " s",
                    Map.of("Retry-After", String.valueOf(wait.toSeconds())));
        }
        try {
            return ApiServer.Admission.as(verifier.verify(new OAuth1Verifier.SignedRequest(exchange.method(), exchange.scheme(),
                    exchange.host(), exchange.path(), exchange.rawQuery(), exchange.header("Authorization"),
                    exchange.header("Content-Type"), exchange.rawBody())));
        } catch (OAuthFailure f) {
            Map<String, String> challenge = f.status() == 401 ? Map.of("WWW-Authenticate", CHALLENGE) : Map.of();
            if (!GUESSES.contains(f.code())) return ApiServer.Admission.refused(f.status(), f.code(), f.getMessage(), challenge);
            failures.failed(source);
            // An unknown key and a wrong signature read alike, so a guesser learns nothing of which keys exist.
            if (f.code().equals("oauth-unknown-client") || f.code().equals("oauth-invalid-signature")) {
                return ApiServer.Admission.refused(401, "oauth-invalid-signature", "the signature does not match this request, or its"
                        + " client is unknown: sign the method, the URL as sent, the query and form parameters with a configured"
                        + " client's secret (RFC 5849 §3.4)", challenge).because(f.code());
            }
            return ApiServer.Admission.refused(f.status(), f.code(), f.getMessage(), challenge);
        }
    }

    /** A request that has only the session cookie to show. */
    private ApiServer.Admission bySession(Exchange exchange, String token, boolean write, boolean upgrade) {
        var session = sessions.session(token);
        if (session.isEmpty()) {
            return ApiServer.Admission.refused(401, "session-expired", "the web console's session has ended or is unknown: log in again",
                    Map.of("WWW-Authenticate", CHALLENGE));
        }
        // A foreign Origin never gets here (the server refuses it before any guard); a WebSocket by cookie
        // with no Origin at all was not opened by a page of ours either.
        if (upgrade && !exchange.originIsOwn()) {
            return ApiServer.Admission.refused(403, "origin-mismatch",
                    "a WebSocket with the session cookie must be opened by a page of " + exchange.scheme() + "://" + exchange.host(), Map.of());
        }
        if (write && !upgrade && !"1".equals(exchange.header(SESSION_HEADER))) {
            return ApiServer.Admission.refused(403, "session-header-missing",
                    "a write with the session cookie must carry the header " + SESSION_HEADER + ": 1", Map.of());
        }
        return ApiServer.Admission.as(session.get().client());
    }
}
