package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's signer: RFC 5849's own example, and every request it signs is one the service's verifier accepts. */
class OAuth1SignerTest {
    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);

    private static OAuth1Verifier verifier() {
        return new OAuth1Verifier(Map.of("mock-key", "mock-secret"), CLOCK, Duration.ofSeconds(300));
    }

    private static OAuth1Verifier.SignedRequest asReceived(String method, URI uri, String authorization, String contentType, String body) {
        return new OAuth1Verifier.SignedRequest(method, uri.getScheme(), uri.getRawAuthority(), uri.getRawPath(), uri.getRawQuery(),
                authorization, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    // RFC 5849 §1.2: the photos example (with its token, as every RFC example has), its nonce and time, its signature.
    @Test
    void signsRfc5849Section1_2sExampleAsTheRfcDoes() {
        OAuth1Signer signer = new OAuth1Signer("dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00",
                "HMAC-SHA1", Clock.fixed(Instant.ofEpochSecond(137131202), ZoneOffset.UTC), () -> "chapoH");
        String header = signer.authorization("GET", URI.create("http://photos.example.net/photos?file=vacation.jpg&size=original"), null, new byte[0]);
        assertTrue(header.contains("oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\""), header);
        assertTrue(header.startsWith("OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"nnch734d00sl2jdk\""), header);
    }

    @Test
    void aSignedJsonWriteIsAcceptedByTheVerifierAndItsBodyCannotBeSwapped() throws Exception {
        OAuth1Signer signer = new OAuth1Signer("mock-key", "mock-secret", null, "", "HMAC-SHA256", CLOCK, () -> "n1");
        URI uri = URI.create("http://127.0.0.1:12345/vms");
        String body = "{\"cpus\": 2}";
        String header = signer.authorization("POST", uri, "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertTrue(header.contains("oauth_signature_method=\"HMAC-SHA256\""), header);
        assertTrue(header.contains("oauth_body_hash="), header);
        assertEquals("mock-key", verifier().verify(asReceived("POST", uri, header, "application/json", body)));

        OAuthFailure swapped = assertThrows(OAuthFailure.class,
                () -> verifier().verify(asReceived("POST", uri, header, "application/json", "{\"cpus\": 3}")));
        assertEquals("oauth-body-hash-mismatch", swapped.code());
    }

    @Test
    void queriesFormsPathsWithEscapesAndDeletesVerify() throws Exception {
        OAuth1Signer signer = new OAuth1Signer("mock-key", "mock-secret");
        URI list = URI.create("http://localhost:12345/vms?tag=role%3Dweb&tag=a+b");
        assertEquals("mock-key", signedNow(list, "GET", signer, null, ""));
        URI form = URI.create("https://[::1]:8075/imagefactory/images?x=1");
        assertEquals("mock-key", signedNow(form, "POST", signer, "application/x-www-form-urlencoded; charset=utf-8",
                "targets=mock&template=%3Ctemplate%2F%3E"));
        URI delete = URI.create("http://127.0.0.1:12345/groups/web%20tier/size");
        assertEquals("mock-key", signedNow(delete, "PUT", signer, "application/json", "{\"size\": 3}"));
    }

    /** Signs with the real clock and a random nonce, as the CLI does, and verifies as the service does. */
    private static String signedNow(URI uri, String method, OAuth1Signer signer, String contentType, String body) throws OAuthFailure {
        String header = signer.authorization(method, uri, contentType, body.getBytes(StandardCharsets.UTF_8));
        return new OAuth1Verifier(Map.of("mock-key", "mock-secret"), Clock.systemUTC(), Duration.ofSeconds(300))
                .verify(asReceived(method, uri, header, contentType, body));
    }

    @Test
    void eachRequestGetsItsOwnNonce() {
        OAuth1Signer signer = new OAuth1Signer("mock-key", "mock-secret");
        URI uri = URI.create("http://127.0.0.1:12345/vms/x");
        assertNotEquals(signer.authorization("DELETE", uri, null, new byte[0]), signer.authorization("DELETE", uri, null, new byte[0]));
    }
}
