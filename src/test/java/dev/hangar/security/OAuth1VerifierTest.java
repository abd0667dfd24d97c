package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two-legged OAuth 1.0a against RFC 5849's own examples, against requests oauthlib signed (fixed
 * vectors below, made with Debian's python3-oauthlib 3.2.2), and every way a request is refused.
 */
class OAuth1VerifierTest {
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final long NOW = 1_700_000_000L;
    private static final Map<String, String> CLIENTS = Map.of("mock-key", "mock-secret", "other", "other-secret");

    private static Clock at(long epochSecond) {
        return Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
    }

    private static OAuth1Verifier verifier(Clock clock) {
        return new OAuth1Verifier(CLIENTS, clock, Duration.ofSeconds(300));
    }

    private static OAuth1Verifier.SignedRequest request(String method, String host, String path, String query, String authorization,
                                                       String contentType, String body) {
        return new OAuth1Verifier.SignedRequest(method, "http", host, path, query, authorization, contentType,
                body.getBytes(StandardCharsets.UTF_8));
    }

    // RFC 5849 §3.4.1.1: its example request (with a token, as every RFC example has) and the base string it prints.
    @Test
    void theSignatureBaseStringOfRfc5849Section3_4_1_1() throws Exception {
        var rfc = request("POST", "example.com", "/request", "b5=%3D%253D&a3=a&c%40=&a2=r%20b",
                "OAuth realm=\"Example\",\n oauth_consumer_key=\"9djdj82h48djs9d2\",\n oauth_token=\"kkk9d7dh3k39sjv7\",\n"
                        + " oauth_signature_method=\"HMAC-SHA1\",\n oauth_timestamp=\"137131201\",\n oauth_nonce=\"7d8f3e4a\",\n"
                        + " oauth_signature=\"bYT5CMsGcbgUdFHObYMEfcx6bsw%3D\"",
                FORM, "c2&a3=2+q");
        List<OAuth1Verifier.Param> params = new ArrayList<>(OAuth1Verifier.collectParameters(rfc));
        params.removeIf(p -> p.name().equals("oauth_signature"));
        String base = OAuth1Verifier.signatureBaseString(rfc.method(), OAuth1Verifier.baseStringUri("http", rfc.host(), rfc.rawPath()),
                OAuth1Verifier.normalizedParameters(params));
        assertEquals("POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
                + "%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1"
                + "%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7", base);
    }

    // RFC 5849 §1.2: the photos example, whose secrets the RFC gives, and its signature.
    @Test
    void theSignatureOfRfc5849Section1_2() throws Exception {
        var rfc = request("GET", "photos.example.net", "/photos", "file=vacation.jpg&size=original",
                "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"nnch734d00sl2jdk\","
                        + " oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\","
                        + " oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"", null, "");
        List<OAuth1Verifier.Param> params = new ArrayList<>(OAuth1Verifier.collectParameters(rfc));
        String signature = params.stream().filter(p -> p.name().equals("oauth_signature")).findFirst().orElseThrow().value();
        params.removeIf(p -> p.name().equals("oauth_signature"));
        String base = OAuth1Verifier.signatureBaseString("GET", OAuth1Verifier.baseStringUri("http", rfc.host(), rfc.rawPath()),
                OAuth1Verifier.normalizedParameters(params));
        assertEquals("GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
                + "%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202"
                + "%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal", base);
        byte[] mac = OAuth1Verifier.hmac("HmacSHA1", OAuth1Verifier.signingKey("kd94hf93k423kf44", "pfkkdhi9sl3r4s00"), base);
        assertEquals("MdpQcU8iPSUjWoN/UDMsK2sui9I=", signature);
        assertEquals(signature, Base64.getEncoder().encodeToString(mac));
    }

    // RFC 5849 §3.4.1.2's examples, and §3.6's encoding.
    @Test
    void baseStringUriAndEncodingAsTheRfcSays() {
        assertEquals("http://example.com/r%20v/X", OAuth1Verifier.baseStringUri("HTTP", "EXAMPLE.COM:80", "/r%20v/X"));
        assertEquals("https://www.example.net:8080/", OAuth1Verifier.baseStringUri("https", "www.example.net:8080", ""));
        assertEquals("https://h.test/", OAuth1Verifier.baseStringUri("https", "h.test:443", "/"));
        assertEquals("http://[::1]:8075/x", OAuth1Verifier.baseStringUri("http", "[::1]:8075", "/x"));
        assertEquals("http://[::1]/x", OAuth1Verifier.baseStringUri("http", "[::1]:80", "/x"));
        assertEquals("AZaz09-._~", OAuth1Verifier.encode("AZaz09-._~"));
        assertEquals("a%20b%2B%21%2A%27%28%29%3D%26%25", OAuth1Verifier.encode("a b+!*'()=&%"));
        assertEquals("%C3%A9%E2%82%AC", OAuth1Verifier.encode("é€"));
    }

    // Signed by oauthlib (python3-oauthlib 3.2.2): form body and query parameters are signed too.
    @Test
    void acceptsOauthlibsHmacSha1AndHmacSha256Signatures() throws Exception {
        OAuth1Verifier verifier = verifier(at(NOW + 10));
        String sha1 = "OAuth oauth_nonce=\"n0nce-HMAC-SHA1\", oauth_timestamp=\"1700000000\", oauth_version=\"1.0\", "
                + "oauth_signature_method=\"HMAC-SHA1\", oauth_consumer_key=\"mock-key\", oauth_signature=\"WGhNM6oKlV8F7tEtE0XIEf2lvHA%3D\"";
        String sha256 = "OAuth oauth_nonce=\"n0nce-HMAC-SHA256\", oauth_timestamp=\"1700000000\", oauth_version=\"1.0\", "
                + "oauth_signature_method=\"HMAC-SHA256\", oauth_consumer_key=\"mock-key\", "
                + "oauth_signature=\"p80NLbm%2BHpAO71FjbrEP3Mrirphk2n0u3h9qOEObLXs%3D\"";
        for (String header : List.of(sha1, sha256)) {
            assertEquals("mock-key", verifier.verify(request("POST", "127.0.0.1:8075", "/imagefactory/images", "x=1&y=a+b", header, FORM,
                    "targets=mock&template=%3Ctemplate%2F%3E")));
        }
        // The same signature on another body, query, path, host or method is refused.
        OAuth1Verifier fresh = verifier(at(NOW));
        assertRefused(401, "oauth-invalid-signature", fresh, request("POST", "127.0.0.1:8075", "/imagefactory/images", "x=1&y=a+b", sha1, FORM,
                "targets=mock&template=%3Ctemplate%2F%3F"));
        assertRefused(401, "oauth-invalid-signature", fresh, request("POST", "127.0.0.1:8075", "/imagefactory/images", "x=2&y=a+b", sha1, FORM,
                "targets=mock&template=%3Ctemplate%2F%3E"));
        assertRefused(401, "oauth-invalid-signature", fresh, request("POST", "127.0.0.1:8075", "/imagefactory/imagez", "x=1&y=a+b", sha1, FORM,
                "targets=mock&template=%3Ctemplate%2F%3E"));
        assertRefused(401, "oauth-invalid-signature", fresh, request("POST", "127.0.0.1:8076", "/imagefactory/images", "x=1&y=a+b", sha1, FORM,
                "targets=mock&template=%3Ctemplate%2F%3E"));
        assertRefused(401, "oauth-invalid-signature", fresh, request("PUT", "127.0.0.1:8075", "/imagefactory/images", "x=1&y=a+b", sha1, FORM,
                "targets=mock&template=%3Ctemplate%2F%3E"));
    }

    // oauthlib adds oauth_body_hash (SHA-1, whatever it signs with) to a body that is not form-encoded.
    @Test
    void checksOauthlibsBodyHash() throws Exception {
        String header = "OAuth oauth_nonce=\"jsonbody\", oauth_timestamp=\"1700000000\", oauth_version=\"1.0\", "
                + "oauth_signature_method=\"HMAC-SHA256\", oauth_consumer_key=\"mock-key\", oauth_body_hash=\"6Yu0rthsb1qn99iw%2F2OeM%2BaO26E%3D\", "
                + "oauth_signature=\"qDMM7kgzGF2Cg0YuW2L7ai63LZvrnrCvJoBiQlsk0Kw%3D\"";
        assertRefused(401, "oauth-body-hash-mismatch", verifier(at(NOW)),
                request("POST", "localhost:12345", "/vms", null, header, "application/json", "{\"cpus\": 3}"));
        assertEquals("mock-key", verifier(at(NOW)).verify(request("POST", "localhost:12345", "/vms", null, header, "application/json", "{\"cpus\": 2}")));
    }

    @Test
    void acceptsASha256BodyHashAndRefusesOneOfAnotherLength() throws Exception {
        byte[] body = "{\"size\": 3}".getBytes(StandardCharsets.UTF_8);
        String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
        var signer = new Signer("mock-key", "mock-secret", "HMAC-SHA256").extra("oauth_body_hash", sha256);
        assertEquals("mock-key", verifier(at(NOW)).verify(signer.sign("PUT", "/groups/web/size", null, "application/json", "{\"size\": 3}")));
        assertRefused(401, "oauth-body-hash-mismatch", verifier(at(NOW)), signer.sign("PUT", "/groups/web/size", null, "application/json", "{\"size\": 4}"));
        var truncated = new Signer("mock-key", "mock-secret", "HMAC-SHA256").extra("oauth_body_hash", sha256.substring(0, 20));
        assertRefused(401, "oauth-body-hash-mismatch", verifier(at(NOW)), truncated.sign("PUT", "/groups/web/size", null, "application/json", "{\"size\": 3}"));
    }

    @Test
    void theTimestampMustBeWithinTheWindow() throws Exception {
        var signer = new Signer("mock-key", "mock-secret", "HMAC-SHA1");
        assertEquals("mock-key", verifier(at(NOW + 300)).verify(signer.at(NOW).sign("DELETE", "/vms/1", null, null, "")));
        assertEquals("mock-key", verifier(at(NOW - 300)).verify(signer.at(NOW).sign("DELETE", "/vms/1", null, null, "")));
        assertRefused(401, "oauth-expired", verifier(at(NOW + 301)), signer.at(NOW).sign("DELETE", "/vms/1", null, null, ""));
        assertRefused(401, "oauth-expired", verifier(at(NOW - 301)), signer.at(NOW).sign("DELETE", "/vms/1", null, null, ""));
    }

    @Test
    void aNonceIsAcceptedOnceWhileItsTimestampIsInTheWindow() throws Exception {
        var clock = new MutableClock(NOW);
        OAuth1Verifier verifier = new OAuth1Verifier(CLIENTS, clock, Duration.ofSeconds(300));
        var signer = new Signer("mock-key", "mock-secret", "HMAC-SHA256").at(NOW).nonce("once");
        var request = signer.sign("POST", "/vms", null, "application/json", "{}");
        assertEquals("mock-key", verifier.verify(request));
        assertRefused(401, "oauth-replayed", verifier, request);
        // Another client may use the same nonce and timestamp; so may the same client with another timestamp.
        assertEquals("other", verifier.verify(new Signer("other", "other-secret", "HMAC-SHA256").at(NOW).nonce("once")
                .sign("POST", "/vms", null, "application/json", "{}")));
        assertEquals("mock-key", verifier.verify(signer.at(NOW + 1).sign("POST", "/vms", null, "application/json", "{}")));
        // Past the window the timestamp refuses the replay, and the cache has let the nonces go.
        clock.now = NOW + 302;
        assertRefused(401, "oauth-expired", verifier, request);
        assertEquals("mock-key", verifier.verify(signer.at(NOW + 302).nonce("later").sign("POST", "/vms", null, null, "")));
        assertEquals(1, verifier.nonceCount());
    }

    @Test
    void aFullNonceCacheRefusesRatherThanForgets() throws Exception {
        OAuth1Verifier verifier = new OAuth1Verifier(CLIENTS, at(NOW), Duration.ofSeconds(300), 1);
        var signer = new Signer("mock-key", "mock-secret", "HMAC-SHA1").at(NOW);
        assertEquals("mock-key", verifier.verify(signer.nonce("a").sign("POST", "/vms", null, null, "")));
        assertRefused(429, "oauth-too-many-requests", verifier, signer.nonce("b").sign("POST", "/vms", null, null, ""));
        assertRefused(401, "oauth-replayed", verifier, signer.nonce("a").sign("POST", "/vms", null, null, ""));
    }

    @Test
    void wrongSecretUnknownKeyAndMissingSignaturesAreRefused() {
        OAuth1Verifier verifier = verifier(at(NOW));
        assertRefused(401, "oauth-invalid-signature", verifier, new Signer("mock-key", "not-the-secret", "HMAC-SHA1").sign("POST", "/vms", null, null, ""));
        assertRefused(401, "oauth-unknown-client", verifier, new Signer("stranger", "mock-secret", "HMAC-SHA1").sign("POST", "/vms", null, null, ""));
        assertRefused(401, "oauth-missing", verifier, request("POST", "h.test", "/vms", null, null, null, ""));
        assertRefused(401, "oauth-missing", verifier, request("POST", "h.test", "/vms", null, "Basic bW9jay1rZXk6bW9jay1zZWNyZXQ=", null, ""));
        assertRefused(401, "oauth-invalid-signature", verifier,
                new Signer("mock-key", "mock-secret", "HMAC-SHA1").extra("oauth_signature", "not base64!").sign("POST", "/vms", null, null, ""));
    }

    @Test
    void malformedOrUnsupportedRequestsAre400() {
        OAuth1Verifier verifier = verifier(at(NOW));
        assertRefused(400, "oauth-unsupported-signature-method", verifier, new Signer("mock-key", "mock-secret", "PLAINTEXT").sign("POST", "/vms", null, null, ""));
        assertRefused(400, "oauth-parameter-missing", verifier,
                request("POST", "h.test", "/vms", null, "OAuth oauth_consumer_key=\"mock-key\", oauth_signature_method=\"HMAC-SHA1\"", null, ""));
        assertRefused(400, "oauth-malformed", verifier, request("POST", "h.test", "/vms", null, "OAuth oauth_consumer_key=mock-key", null, ""));
        assertRefused(400, "oauth-malformed", verifier, request("POST", "h.test", "/vms", null, "OAuth oauth_consumer_key=\"%zz\"", null, ""));
        assertRefused(400, "oauth-malformed", verifier, request("POST", "h.test", "/vms", "a=%", "OAuth oauth_consumer_key=\"k\"", null, ""));
        // The same protocol parameter in the header and the query (RFC 5849 §3.5: one method, once).
        var signed = new Signer("mock-key", "mock-secret", "HMAC-SHA1").sign("POST", "/vms", null, null, "");
        assertRefused(400, "oauth-duplicate-parameter", verifier, request("POST", "h.test", "/vms", "oauth_nonce=x", signed.authorization(), null, ""));
        assertRefused(400, "oauth-unsupported-version", verifier,
                new Signer("mock-key", "mock-secret", "HMAC-SHA1").extra("oauth_version", "2.0").sign("POST", "/vms", null, null, ""));
        assertRefused(400, "oauth-malformed", verifier,
                new Signer("mock-key", "mock-secret", "HMAC-SHA1").extra("oauth_timestamp", "soon").sign("POST", "/vms", null, null, ""));
        // Two-legged: a token is refused, an empty one (as some clients send) is not.
        assertRefused(401, "oauth-token-not-accepted", verifier,
                new Signer("mock-key", "mock-secret", "HMAC-SHA1").extra("oauth_token", "t").sign("POST", "/vms", null, null, ""));
    }

    @Test
    void protocolParametersMayComeInTheQueryOrAFormBody() throws Exception {
        OAuth1Verifier verifier = verifier(at(NOW));
        var signer = new Signer("mock-key", "mock-secret", "HMAC-SHA256").extra("oauth_token", "");
        var inHeader = signer.nonce("q").sign("POST", "/imagefactory/images", "targets=mock", FORM, "template=x");
        String query = "targets=mock&" + inHeader.authorization().substring("OAuth realm=\"hangar\", ".length()).replace("\"", "").replace(", ", "&");
        assertEquals("mock-key", verifier.verify(request("POST", "h.test", "/imagefactory/images", query, null, FORM, "template=x")));
        var inBody = signer.nonce("b").sign("POST", "/imagefactory/images", "targets=mock", FORM, "template=x");
        String body = "template=x&" + inBody.authorization().substring("OAuth realm=\"hangar\", ".length()).replace("\"", "").replace(", ", "&");
        assertEquals("mock-key", verifier.verify(request("POST", "h.test", "/imagefactory/images", "targets=mock", null, FORM, body)));
    }

    private static void assertRefused(int status, String code, OAuth1Verifier verifier, OAuth1Verifier.SignedRequest request) {
        OAuthFailure f = assertThrows(OAuthFailure.class, () -> verifier.verify(request));
        assertEquals(code, f.code(), f.getMessage());
        assertEquals(status, f.status(), f.getMessage());
    }

    private static final class MutableClock extends Clock {
        long now;

        MutableClock(long now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(now);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /**
     * Signs requests for the tests that need one made on the spot (windows, replays, refusals); the
     * verifier's acceptance of independently signed requests is shown above and in OAuthServerTest.
     */
    private record Signer(String key, String secret, String method, long timestamp, String nonce, Map<String, String> extras) {
        Signer(String key, String secret, String method) {
            this(key, secret, method, NOW, "nonce-" + System.nanoTime(), Map.of());
        }

        Signer at(long t) {
            return new Signer(key, secret, method, t, nonce, extras);
        }

        Signer nonce(String n) {
            return new Signer(key, secret, method, timestamp, n, extras);
        }

        Signer extra(String name, String value) {
            var m = new java.util.LinkedHashMap<>(extras);
            m.put(name, value);
            return new Signer(key, secret, method, timestamp, nonce, m);
        }

        OAuth1Verifier.SignedRequest sign(String httpMethod, String path, String query, String contentType, String body) {
            var oauth = new java.util.LinkedHashMap<String, String>();
            oauth.put("oauth_consumer_key", key);
            oauth.put("oauth_signature_method", method);
            oauth.put("oauth_timestamp", String.valueOf(timestamp));
            oauth.put("oauth_nonce", nonce);
            oauth.putAll(extras);
            String given = oauth.remove("oauth_signature");
            List<OAuth1Verifier.Param> params = new ArrayList<>();
            oauth.forEach((n, v) -> params.add(new OAuth1Verifier.Param(n, v)));
            try {
                if (query != null) params.addAll(OAuth1Verifier.formDecode(query, "q"));
                if (FORM.equals(contentType)) params.addAll(OAuth1Verifier.formDecode(body, "b"));
            } catch (OAuthFailure e) {
                throw new IllegalStateException(e);
            }
            String base = OAuth1Verifier.signatureBaseString(httpMethod, OAuth1Verifier.baseStringUri("http", "h.test", path),
                    OAuth1Verifier.normalizedParameters(params));
            String mac = method.startsWith("HMAC-")
                    ? Base64.getEncoder().encodeToString(OAuth1Verifier.hmac("Hmac" + method.substring(5).replace("-", ""),
                            OAuth1Verifier.signingKey(secret, ""), base))
                    : "x";
            oauth.put("oauth_signature", given != null ? given : mac);
            StringBuilder header = new StringBuilder("OAuth realm=\"hangar\"");
            oauth.forEach((n, v) -> header.append(", ").append(n).append("=\"").append(OAuth1Verifier.encode(v)).append('"'));
            return request(httpMethod, "h.test", path, query, header.toString(), contentType, body);
        }
    }
}
