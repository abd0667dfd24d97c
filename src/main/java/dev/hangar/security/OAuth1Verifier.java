package dev.hangar.security;

import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies two-legged OAuth 1.0a (RFC 5849): the client signs each request with its consumer key and
 * secret and no token. Checks the HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512 signature over the signature
 * base string (§3.4.1), the timestamp against a window, the nonce against replays, and
 * {@code oauth_body_hash} (draft-eaton-oauth-bodyhash) when the client sent one. PLAINTEXT and
 * RSA-SHA1 are not accepted: the first sends the secret itself, the second needs keys we do not keep.
 */
public final class OAuth1Verifier {
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(300);
    /** Live nonces kept at most: at the default window that is over 150 signed writes a second, sustained. */
    static final int NONCE_CAPACITY = 100_000;
    private static final int MAX_NONCE_LENGTH = 256;
    private static final String FORM = "application/x-www-form-urlencoded";

    /**
     * What the verifier reads of a request: the method, the scheme and Host header the client used, the
     * path and query as sent (not decoded), the Authorization and Content-Type headers, and the body.
     */
    public record SignedRequest(String method, String scheme, String host, String rawPath, String rawQuery,
                                String authorization, String contentType, byte[] body) {}

    /** One request parameter, percent-decoded. */
    record Param(String name, String value) {}

    private final Map<String, String> secrets;
    /** Clients whose signed non-form bodies must carry a matching oauth_body_hash. */
    private final java.util.Set<String> bodyHashRequired;
    private final Clock clock;
    private final long windowSeconds;
    private final NonceCache nonces;

    /** {@code secrets}: consumer key → shared secret, the {@code clients} of the configuration. */
    public OAuth1Verifier(Map<String, String> secrets, Clock clock, Duration window) {
        this(secrets, java.util.Set.of(), clock, window, NONCE_CAPACITY);
    }

    /** As above; the clients in {@code bodyHashRequired} must send oauth_body_hash with every non-form body. */
    public OAuth1Verifier(Map<String, String> secrets, java.util.Set<String> bodyHashRequired, Clock clock, Duration window) {
        this(secrets, bodyHashRequired, clock, window, NONCE_CAPACITY);
    }

    OAuth1Verifier(Map<String, String> secrets, Clock clock, Duration window, int nonceCapacity) {
        this(secrets, java.util.Set.of(), clock, window, nonceCapacity);
    }

    OAuth1Verifier(Map<String, String> secrets, java.util.Set<String> bodyHashRequired, Clock clock, Duration window, int nonceCapacity) {
        if (window.isNegative() || window.isZero()) throw new IllegalArgumentException("the timestamp window must be positive");
        this.secrets = Map.copyOf(secrets);
        this.bodyHashRequired = java.util.Set.copyOf(bodyHashRequired);
        this.clock = clock;
        this.windowSeconds = window.toSeconds();
        this.nonces = new NonceCache(nonceCapacity);
    }

    /** The consumer key of a correctly signed request; otherwise why it was refused. */
    public String verify(SignedRequest request) throws OAuthFailure {
        List<Param> params = collectParameters(request);
        Map<String, String> protocol = new HashMap<>();
        for (Param p : params) {
            // RFC 5849 §3.5: protocol parameters come by one method, once; two would leave us to pick one.
            if (p.name.startsWith("oauth_") && protocol.put(p.name, p.value) != null) {
                throw OAuthFailure.badRequest("oauth-duplicate-parameter", p.name + " is given more than once");
            }
        }
        if (protocol.isEmpty()) {
            throw OAuthFailure.unauthorized("oauth-missing",
                    "this request must be signed with two-legged OAuth 1.0a (RFC 5849): an Authorization: OAuth header");
        }
        for (String required : List.of("oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce")) {
            if (!protocol.containsKey(required)) throw OAuthFailure.badRequest("oauth-parameter-missing", required + " is missing");
        }
        String version = protocol.get("oauth_version");
        if (version != null && !version.equals("1.0")) {
            throw OAuthFailure.badRequest("oauth-unsupported-version", "oauth_version must be 1.0 when given");
        }
        String algorithm = macAlgorithm(protocol.get("oauth_signature_method"));
        long timestamp = timestamp(protocol.get("oauth_timestamp"));
        String nonce = protocol.get("oauth_nonce");
        if (nonce.isEmpty() || nonce.length() > MAX_NONCE_LENGTH) {
            throw OAuthFailure.badRequest("oauth-malformed", "oauth_nonce must be 1 to " + MAX_NONCE_LENGTH + " characters");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - timestamp) > windowSeconds) {
            throw OAuthFailure.unauthorized("oauth-expired", "oauth_timestamp is " + (now - timestamp)
                    + " s from this server's time; it must be within " + windowSeconds + " s (check the client's clock)");
        }
        String consumerKey = protocol.get("oauth_consumer_key");
        String secret = secrets.get(consumerKey);
        if (secret == null) throw OAuthFailure.unauthorized("oauth-unknown-client", "no client has this oauth_consumer_key");
        String token = protocol.get("oauth_token");
        if (token != null && !token.isEmpty()) {
            throw OAuthFailure.unauthorized("oauth-token-not-accepted", "this is two-legged OAuth: send no oauth_token (or an empty one)");
        }

        List<Param> signed = params.stream().filter(p -> !p.name.equals("oauth_signature")).toList();
        String baseString = signatureBaseString(request.method(),
                baseStringUri(request.scheme(), request.host(), request.rawPath()), normalizedParameters(signed));
        byte[] expected = hmac(algorithm, signingKey(secret, ""), baseString);
        byte[] given;
        try {
            given = Base64.getDecoder().decode(protocol.get("oauth_signature"));
        } catch (IllegalArgumentException e) {
            given = new byte[0];
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw OAuthFailure.unauthorized("oauth-invalid-signature", "the signature does not match this request: sign the method, "
                    + "the URL as sent (Host " + request.host() + "), the query and form parameters, with the client's secret (RFC 5849 §3.4)");
        }
        String bodyHash = protocol.get("oauth_body_hash");
        if (bodyHash != null && !bodyHashMatches(bodyHash, request.body())) {
            throw OAuthFailure.unauthorized("oauth-body-hash-mismatch", "oauth_body_hash is not the SHA-1 or SHA-256 of this body, base64");
        }
        // A form body's parameters are signed themselves; any other body only through its hash.
        if (bodyHash == null && request.body().length > 0 && !isForm(request.contentType()) && bodyHashRequired.contains(consumerKey)) {
            throw OAuthFailure.unauthorized("oauth-body-hash-missing", "this client must sign its body: send oauth_body_hash"
                    + " (the SHA-256 of the body, base64), as requests-oauthlib does with force_include_body=True");
        }
        // Remembered only now: an unsigned request cannot fill the cache.
        switch (nonces.remember(consumerKey + "\n" + timestamp + "\n" + nonce, timestamp + windowSeconds + 1, now)) {
            case REPLAYED -> throw OAuthFailure.unauthorized("oauth-replayed", "this oauth_nonce was used already with this timestamp");
            case FULL -> throw new OAuthFailure(429, "oauth-too-many-requests", "too many signed requests in the timestamp window; retry shortly");
            case FIRST_USE -> { }
        }
        return consumerKey;
    }

    /** Nonces remembered now (for tests: the cache lets expired ones go). */
    int nonceCount() {
        return nonces.size();
    }

    /** The request's parameters (§3.4.1.3.1): the Authorization header's but realm, the query's, and a form body's. */
    static List<Param> collectParameters(SignedRequest request) throws OAuthFailure {
        List<Param> params = new ArrayList<>();
        String authorization = request.authorization();
        if (authorization != null && isOAuthScheme(authorization)) {
            for (Param p : parseAuthorization(authorization)) if (!p.name.equals("realm")) params.add(p);
        }
        if (request.rawQuery() != null) params.addAll(formDecode(request.rawQuery(), "the query"));
        if (isForm(request.contentType())) params.addAll(formDecode(new String(request.body(), StandardCharsets.UTF_8), "the form body"));
        return params;
    }

    private static boolean isOAuthScheme(String authorization) {
        String h = authorization.stripLeading();
        return h.regionMatches(true, 0, "OAuth", 0, 5) && (h.length() == 5 || Character.isWhitespace(h.charAt(5)));
    }

    /** {@code OAuth realm="x", oauth_consumer_key="k", ...}: name="value" pairs, values percent-encoded (§3.5.1). */
    static List<Param> parseAuthorization(String header) throws OAuthFailure {
        String h = header.strip();
        List<Param> params = new ArrayList<>();
        int i = 5; // after "OAuth"
        while (true) {
            while (i < h.length() && (Character.isWhitespace(h.charAt(i)) || h.charAt(i) == ',')) i++;
            if (i >= h.length()) return params;
            int eq = h.indexOf('=', i);
            if (eq < 0 || eq + 1 >= h.length() || h.charAt(eq + 1) != '"') throw malformedHeader();
            String name = h.substring(i, eq).strip();
            int close = h.indexOf('"', eq + 2);
            if (name.isEmpty() || close < 0) throw malformedHeader();
            params.add(new Param(percentDecode(name), percentDecode(h.substring(eq + 2, close))));
            i = close + 1;
            while (i < h.length() && Character.isWhitespace(h.charAt(i))) i++;
            if (i < h.length() && h.charAt(i) != ',') throw malformedHeader();
        }
    }

    private static OAuthFailure malformedHeader() {
        return OAuthFailure.badRequest("oauth-malformed", "the Authorization header must be OAuth name=\"value\", ... (RFC 5849 §3.5.1)");
    }

    private static boolean isForm(String contentType) {
        if (contentType == null) return false;
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().equalsIgnoreCase(FORM);
    }

    /** application/x-www-form-urlencoded pairs, decoded ('+' is a space there, §3.4.1.3.1). */
    static List<Param> formDecode(String text, String where) throws OAuthFailure {
        List<Param> params = new ArrayList<>();
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            try {
                params.add(new Param(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                throw OAuthFailure.badRequest("oauth-malformed", "malformed percent-escape in " + where);
            }
        }
        return params;
    }

    /** Decodes %XX escapes; unlike form decoding, '+' stays '+' (§3.6 encodes a space as %20). */
    static String percentDecode(String s) throws OAuthFailure {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                boolean complete = i + 2 < s.length();
                int hi = complete ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = complete ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) throw OAuthFailure.badRequest("oauth-malformed", "malformed percent-escape in the Authorization header");
                bytes.write(hi * 16 + lo);
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** RFC 5849 §3.6: every byte of the UTF-8 form but ALPHA, DIGIT, '-', '.', '_', '~' as %XX, upper-case hex. */
    public static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    /** §3.4.1.2: lower-case scheme and host as the Host header gave them, the port only when not the scheme's default, the path. */
    static String baseStringUri(String scheme, String host, String rawPath) {
        String s = scheme.toLowerCase(Locale.ROOT);
        String authority = host.toLowerCase(Locale.ROOT);
        int portStart = authority.startsWith("[") ? authority.indexOf("]:") + 1 : authority.lastIndexOf(':');
        if (portStart > 0) {
            String port = authority.substring(portStart + 1);
            if (port.isEmpty() || (s.equals("http") && port.equals("80")) || (s.equals("https") && port.equals("443"))) {
                authority = authority.substring(0, portStart);
            }
        }
        return s + "://" + authority + (rawPath == null || rawPath.isEmpty() ? "/" : rawPath);
    }

    /** §3.4.1.3.2: each name and value encoded, sorted by name then value, joined as name=value&... */
    static String normalizedParameters(List<Param> params) {
        return params.stream().map(p -> new Param(encode(p.name), encode(p.value)))
                .sorted(Comparator.comparing(Param::name).thenComparing(Param::value))
                .map(p -> p.name + "=" + p.value)
                .collect(java.util.stream.Collectors.joining("&"));
    }

    /** §3.4.1.1: METHOD&encoded base string URI&encoded normalized parameters. */
    static String signatureBaseString(String method, String baseStringUri, String normalizedParameters) {
        return method.toUpperCase(Locale.ROOT) + "&" + encode(baseStringUri) + "&" + encode(normalizedParameters);
    }

    /** §3.4.2: the client's secret and the token's, each encoded, joined by '&' (two-legged: no token secret). */
    static String signingKey(String clientSecret, String tokenSecret) {
        return encode(clientSecret) + "&" + encode(tokenSecret);
    }

    static byte[] hmac(String algorithm, String key, String baseString) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), algorithm));
            return mac.doFinal(baseString.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
    }

    private static String macAlgorithm(String signatureMethod) throws OAuthFailure {
        return switch (signatureMethod) {
            case "HMAC-SHA1" -> "HmacSHA1";
            case "HMAC-SHA256" -> "HmacSHA256";
            case "HMAC-SHA512" -> "HmacSHA512";
            default -> throw OAuthFailure.badRequest("oauth-unsupported-signature-method",
                    "oauth_signature_method must be HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512");
        };
    }

    private static long timestamp(String value) throws OAuthFailure {
        if (!value.matches("[0-9]{1,15}")) throw OAuthFailure.badRequest("oauth-malformed", "oauth_timestamp must be seconds since 1970, in digits");
        return Long.parseLong(value);
    }

    /**
     * The body hash draft hashes with the signature method's digest; clients differ (oauthlib sends
     * SHA-1 whatever it signs with), so the hash's length says which: 20 bytes SHA-1, 32 SHA-256.
     */
    static boolean bodyHashMatches(String bodyHash, byte[] body) {
        byte[] given;
        try {
            given = Base64.getDecoder().decode(bodyHash);
        } catch (IllegalArgumentException e) {
            return false;
        }
        String digest = switch (given.length) {
            case 20 -> "SHA-1";
            case 32 -> "SHA-256";
            default -> null;
        };
        if (digest == null) return false;
        try {
            return MessageDigest.isEqual(MessageDigest.getInstance(digest).digest(body), given);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + digest, e);
        }
    }
}
