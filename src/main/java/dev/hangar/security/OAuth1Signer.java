package dev.hangar.security;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Signs requests with two-legged OAuth 1.0a (RFC 5849), HMAC-SHA256, the way {@link OAuth1Verifier}
 * checks them: the method, the base string URI, the query's and a form body's parameters and the
 * protocol parameters, keyed by the client's secret (no token). A body that is not a form is covered by
 * {@code oauth_body_hash} (SHA-256), so a signed JSON body cannot be swapped.
 */
public final class OAuth1Signer {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String FORM = "application/x-www-form-urlencoded";

    private final String consumerKey;
    private final String consumerSecret;
    private final String token;
    private final String tokenSecret;
    private final String signatureMethod;
    private final Clock clock;
    private final Supplier<String> nonces;

    /** A client of the service: its consumer key and secret, HMAC-SHA256, a fresh random nonce each time. */
    public OAuth1Signer(String consumerKey, String consumerSecret) {
        this(consumerKey, consumerSecret, null, "", "HMAC-SHA256", Clock.systemUTC(), OAuth1Signer::randomNonce);
    }

    /** The general form, with a token (RFC 5849's examples have one) and a fixed clock and nonces for tests. */
    OAuth1Signer(String consumerKey, String consumerSecret, String token, String tokenSecret, String signatureMethod,
                 Clock clock, Supplier<String> nonces) {
        this.consumerKey = consumerKey;
        this.consumerSecret = consumerSecret;
        this.token = token;
        this.tokenSecret = tokenSecret;
        this.signatureMethod = signatureMethod;
        this.clock = clock;
        this.nonces = nonces;
    }

    /** The {@code Authorization} header's value for this request; {@code body} may be empty, never null. */
    public String authorization(String method, URI uri, String contentType, byte[] body) {
        Map<String, String> protocol = new LinkedHashMap<>();
        protocol.put("oauth_consumer_key", consumerKey);
        if (token != null) protocol.put("oauth_token", token);
        protocol.put("oauth_signature_method", signatureMethod);
        protocol.put("oauth_timestamp", Long.toString(clock.instant().getEpochSecond()));
        protocol.put("oauth_nonce", nonces.get());
        boolean form = isForm(contentType);
        if (!form && body.length > 0) protocol.put("oauth_body_hash", Base64.getEncoder().encodeToString(sha256(body)));

        List<OAuth1Verifier.Param> params = new ArrayList<>();
        protocol.forEach((name, value) -> params.add(new OAuth1Verifier.Param(name, value)));
        try {
            if (uri.getRawQuery() != null) params.addAll(OAuth1Verifier.formDecode(uri.getRawQuery(), "the query"));
            if (form) params.addAll(OAuth1Verifier.formDecode(new String(body, StandardCharsets.UTF_8), "the form body"));
        } catch (OAuthFailure e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        String host = uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
        String baseString = OAuth1Verifier.signatureBaseString(method,
                OAuth1Verifier.baseStringUri(uri.getScheme(), host, uri.getRawPath()), OAuth1Verifier.normalizedParameters(params));
        byte[] mac = OAuth1Verifier.hmac(macAlgorithm(signatureMethod), OAuth1Verifier.signingKey(consumerSecret, tokenSecret), baseString);
        protocol.put("oauth_signature", Base64.getEncoder().encodeToString(mac));

        StringBuilder header = new StringBuilder("OAuth ");
        protocol.forEach((name, value) -> {
            if (header.length() > 6) header.append(", ");
            header.append(OAuth1Verifier.encode(name)).append("=\"").append(OAuth1Verifier.encode(value)).append('"');
        });
        return header.toString();
    }

    private static String macAlgorithm(String signatureMethod) {
        return switch (signatureMethod) {
            case "HMAC-SHA1" -> "HmacSHA1";
            case "HMAC-SHA256" -> "HmacSHA256";
            case "HMAC-SHA512" -> "HmacSHA512";
            default -> throw new IllegalArgumentException("unsupported signature method " + signatureMethod);
        };
    }

    private static boolean isForm(String contentType) {
        if (contentType == null) return false;
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT).equals(FORM);
    }

    private static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** 128 random bits in hex: unique within the verifier's window for all practical purposes. */
    private static String randomNonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
