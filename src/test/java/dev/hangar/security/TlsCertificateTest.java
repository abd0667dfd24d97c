package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.api.ApiServer;
import dev.hangar.process.Command;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificate a TLS listener presents, and a real listener presenting it to real clients. */
class TlsCertificateTest {
    @TempDir
    Path dir;

    @Test
    void theSelfSignedCertificateNamesTheHostAndLoopbackAndIsAnEcKey() throws Exception {
        TlsCertificate cert = TlsCertificate.selfSigned(dir, List.of("build-1.example"),
                List.of(InetAddress.getByName("10.0.0.7")), Clock.systemUTC());
        X509Certificate leaf = cert.chain().get(0);
        assertEquals("EC", leaf.getPublicKey().getAlgorithm());
        Set<String> san = leaf.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).collect(Collectors.toSet());
        assertTrue(san.containsAll(Set.of("build-1.example", "localhost", "10.0.0.7", "127.0.0.1")), san.toString());
        assertTrue(san.stream().anyMatch(s -> s.startsWith("0:0:0:0:0:0:0:1")), "::1 too: " + san);
        assertEquals(-1, leaf.getBasicConstraints(), "not a CA: it cannot sign other certificates");
        assertTrue(leaf.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(4 * 365))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("hangar.pem"))), "the key is the owner's");
        X509Certificate published = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("hangar.crt"))));
        assertEquals(leaf, published, "hangar.crt is the certificate clients trust");
        assertTrue(!Files.readString(dir.resolve("hangar.crt")).contains("PRIVATE KEY"));
    }

    @Test
    void itIsReusedAcrossStartsAndRenewedOnlyNearItsEnd() throws Exception {
        Clock now = Clock.systemUTC();
        String first = TlsCertificate.selfSigned(dir, List.of("a.example"), List.of(), now).fingerprint();
        assertEquals(first, TlsCertificate.selfSigned(dir, List.of("a.example"), List.of(), now).fingerprint());
        Clock nearTheEnd = Clock.fixed(Instant.now().plus(TlsCertificate.SELF_SIGNED_VALIDITY).minus(Duration.ofDays(10)), ZoneOffset.UTC);
        String renewed = TlsCertificate.selfSigned(dir, List.of("a.example"), List.of(), nearTheEnd).fingerprint();
        assertNotEquals(first, renewed);
        assertEquals(renewed, TlsCertificate.readPem(dir.resolve("hangar.pem")).fingerprint(), "the renewed one was written");
    }

    @Test
    void aStaleOrMissingCrtIsWrittenAgainFromTheKeptCertificateAndNewAddressesAreNamed() throws Exception {
        TlsCertificate made = TlsCertificate.selfSigned(dir, List.of("a.example"), List.of(InetAddress.getByName("10.0.0.7")), Clock.systemUTC());
        Files.delete(dir.resolve("hangar.crt")); // a crash between writing hangar.pem and hangar.crt
        TlsCertificate kept = TlsCertificate.selfSigned(dir, List.of("a.example"), List.of(), Clock.systemUTC());
        assertEquals(made.fingerprint(), kept.fingerprint());
        X509Certificate published = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("hangar.crt"))));
        assertEquals(kept.chain().get(0), published);
        assertEquals(List.of(), kept.uncovered(List.of("A.example", "localhost"), List.of(InetAddress.getByName("10.0.0.7"),
                InetAddress.getByName("::1"))));
        assertEquals(List.of("b.example", "10.0.0.8"), kept.uncovered(List.of("b.example"), List.of(InetAddress.getByName("10.0.0.8"))));
    }

    @Test
    void anOperatorsPemIsCheckedUpFront() throws Exception {
        Path none = Files.writeString(dir.resolve("empty.pem"), "");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TlsCertificate.readPem(none)).getMessage().contains("no private key"));
        Path rsa2048 = dir.resolve("rsa.pem");
        Path key = dir.resolve("rsa.key");
        Command.check(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=old", "-days", "2",
                "-keyout", key.toString(), "-out", rsa2048.toString()), Duration.ofSeconds(60));
        Files.writeString(rsa2048, Files.readString(key) + Files.readString(rsa2048));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TlsCertificate.readPem(rsa2048)).getMessage().contains("too short"));
        // A certificate that is not the key's: two self-signed halves put together.
        TlsCertificate.selfSigned(dir.resolve("one"), List.of("one"), List.of(), Clock.systemUTC());
        TlsCertificate.selfSigned(dir.resolve("two"), List.of("two"), List.of(), Clock.systemUTC());
        String oneKey = Files.readString(dir.resolve("one/hangar.pem")).split("-----BEGIN CERTIFICATE-----")[0];
        Path mixed = Files.writeString(dir.resolve("mixed.pem"), oneKey + Files.readString(dir.resolve("two/hangar.crt")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TlsCertificate.readPem(mixed)).getMessage().contains("not the private key's"));
        // openssl's RSA 3072 key (PKCS#8) and certificate, in either order, are taken.
        Path rsa3072 = dir.resolve("rsa3072.pem");
        Command.check(List.of("openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-subj", "/CN=hangar.example", "-days", "2",
                "-keyout", key.toString(), "-out", rsa3072.toString()), Duration.ofSeconds(120));
        Files.writeString(rsa3072, Files.readString(rsa3072) + Files.readString(key));
        assertEquals("RSA", TlsCertificate.readPem(rsa3072).chain().get(0).getPublicKey().getAlgorithm());
    }

    @Test
    void aListenerSpeaksTls12AndUpToClientsThatTrustTheCertificateAndNothingElse() throws Exception {
        TlsCertificate cert = TlsCertificate.selfSigned(dir, List.of("hangar.test"), List.of(), Clock.systemUTC());
        try (ApiServer server = new ApiServer().route("GET", "/vms", ex -> ex.json(200, Map.of("vms", List.of())))) {
            server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), cert.serverContext());
            assertTrue(server.secure());
            URI vms = URI.create("https://127.0.0.1:" + server.address().getPort() + "/vms");
            HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(dir.resolve("hangar.crt"))).build();
            HttpResponse<String> r = trusting.send(HttpRequest.newBuilder(vms).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("{\"vms\":[]}", r.body());
            // A client that trusts only the system's store refuses the self-signed certificate.
            assertThrows(SSLHandshakeException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(vms).build(),
                    HttpResponse.BodyHandlers.ofString()));
            // openssl, an independent client: TLS 1.2 and 1.3 are spoken, TLS 1.1 is refused.
            String port = String.valueOf(server.address().getPort());
            String tls12 = sClient(port, "-tls1_2");
            assertTrue(tls12.contains("Protocol version: TLSv1.2"), tls12);
            String tls13 = sClient(port, "-tls1_3");
            assertTrue(tls13.contains("Protocol version: TLSv1.3"), tls13);
            // openssl at security level 0 offers TLS 1.1 (its default level would refuse to itself): the server refuses.
            String tls11 = sClient(port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
            assertTrue(!tls11.contains("Protocol version") && tls11.toLowerCase(java.util.Locale.ROOT).contains("alert"), tls11);
            // Plain HTTP to the TLS port gets no HTTP answer.
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET /vms HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] answer = s.getInputStream().readNBytes(4);
                assertTrue(!new String(answer, StandardCharsets.US_ASCII).startsWith("HTTP"));
            } catch (java.io.IOException e) {
                // the connection was reset: no answer either
            }
        }
    }

    private static String sClient(String port, String... options) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-brief"));
        argv.addAll(List.of(options));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    static SSLContext trusting(Path crt) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("hangar", CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(crt)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
