package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real service listening off loopback (0.0.0.0, inside the test's network namespace): TLS with
 * the certificate it made at its first start, OAuth on writes, and a client that is not Java (Python's
 * requests with requests-oauthlib, Debian's packages) verifying the certificate and signing a write.
 */
class TlsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void offLoopbackTheServiceSpeaksTlsWithItsOwnCertificateAndWantsSignedWrites() throws Exception {
        Path data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("hangar.json"), "{\"clients\": {\"mock-key\": \"mock-secret\"}}");
        String fingerprint;
        try (HangarProcess hangar = new HangarProcess(data, "--config", config.toString()).exposed().start()) {
            assertTrue(hangar.log().contains("hangar listening on https://0.0.0.0:"), hangar.log());
            HttpClient http = hangar.http();
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, list.statusCode(), "with OAuth on, reads are signed too");
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), "but the health checks");
            HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, unsigned.statusCode());
            assertEquals("oauth-missing", JSON.readTree(unsigned.body()).get("code").asText());
            // A client that trusts only the system's certificates refuses the self-signed one.
            assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(hangar.base() + "/vms")).build(), HttpResponse.BodyHandlers.discarding()));
            // Python's requests verifies against hangar.crt and signs with requests-oauthlib: admitted, so the
            // answer is the API's own judgement of the (empty) document, not the guard's.
            JsonNode answer = python(hangar.base() + "/vms", data.resolve("tls").resolve("hangar.crt"));
            assertEquals(400, answer.get("status").asInt(), answer.toString());
            assertEquals("missing-image", JSON.readTree(answer.get("body").asText()).get("code").asText());
            fingerprint = certificateLine(hangar.log());
        }
        try (HangarProcess again = new HangarProcess(data, "--config", config.toString()).exposed().start()) {
            assertEquals(fingerprint, certificateLine(again.log()), "the certificate made at first start is reused");
            String audit = Files.readString(data.resolve("audit.log"));
            assertTrue(audit.contains("\"consumer_key\":\"mock-key\"") && audit.contains("\"status\":400"), audit);
        }
    }

    @Test
    void noSslServesPlainHttpOffLoopbackAndSaysSo() throws Exception {
        try (HangarProcess hangar = new HangarProcess(dir.resolve("data"), "--no_ssl", "--no_oauth").exposed().start()) {
            assertTrue(hangar.base().startsWith("http://"));
            HttpResponse<String> list = hangar.http().send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, list.statusCode());
            assertTrue(hangar.log().contains("--no_ssl: plain HTTP on 0.0.0.0:"), hangar.log());
            assertTrue(hangar.log().contains("--no_oauth: OAuth is off"), hangar.log());
            assertTrue(!Files.exists(dir.resolve("data").resolve("tls")), "no certificate is made when nothing uses it");
        }
    }

    /** The log line that names the certificate and its fingerprint. */
    private static String certificateLine(String log) {
        return log.lines().filter(l -> l.contains("TLS with the self-signed certificate")).reduce((a, b) -> b)
                .map(l -> l.substring(l.indexOf("SHA-256"))).orElseThrow(() -> new AssertionError("no certificate line: " + log));
    }

    /** POSTs {} to the URL from python3 requests, verifying with the CA file and signing with requests-oauthlib. */
    private static JsonNode python(String url, Path ca) throws Exception {
        String script = """
                import json, sys, requests
                from requests_oauthlib import OAuth1
                r = requests.post(sys.argv[1], data=b"{}", headers={"Content-Type": "application/json"},
                                  auth=OAuth1("mock-key", "mock-secret"), verify=sys.argv[2], timeout=30)
                print(json.dumps({"status": r.status_code, "body": r.text}))
                """;
        Process p = new ProcessBuilder(List.of("/usr/bin/python3", "-c", script, url, ca.toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return JSON.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
    }
}
