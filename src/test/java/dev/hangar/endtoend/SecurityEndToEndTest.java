package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.security.OAuth1Signer;
import dev.hangar.testing.ImageServer;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacks of an attacker's afternoon against the running service, each sent as the attacker would
 * (raw bytes where a client library would tidy them up), each asserting the refusal and that nothing
 * reached its target: the guest's console, the store, the audit log. Two services: one with OAuth and
 * a guest, one as `./hangar serve` runs by default (loopback, OAuth off).
 */
@Timeout(600)
class SecurityEndToEndTest {
    private static final String CLIENT = "sec-user";
    private static final String SECRET = "sec-secret-8c1f";
    private static final OAuth1Signer signer = new OAuth1Signer(CLIENT, SECRET);
    private static final HttpClient http = HttpClient.newHttpClient();
    /** A WebSocket handshake's fixed part (RFC 6455's sample key). */
    private static final String HANDSHAKE = "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    @TempDir
    static Path dir;
    static ImageServer images;
    static HangarProcess signed;
    static HangarProcess open;
    static String vmId;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        Machines.prepare("qemu");
        Path config = dir.resolve("hangar.json");
        Files.writeString(config, "{\"clients\": {\"" + CLIENT + "\": \"" + SECRET + "\"}}");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        images = new ImageServer();
        signed = new HangarProcess(dir.resolve("signed"), "--delete-grace", "1", "--max-image-size", "200mib", "--config", config.toString()).start();
        open = new HangarProcess(dir.resolve("open"), "--delete-grace", "1", "--network-mode", "user").start();
        Path image = TestImages.directBoot();
        ObjectNode body = Json.MAPPER.createObjectNode().put("name", "target").put("memory", "256mib");
        body.putObject("image").put("url", images.serve("/direct-boot.tar.gz", image)).put("checksum", TestImages.sha256(image))
                .put("checksum_type", "sha256");
        HttpResponse<String> created = call(signed, "POST", "/vms", body.toString());
        assertEquals(202, created.statusCode(), created.body());
        vmId = Json.MAPPER.readTree(created.body()).get("id").textValue();
        Guests.awaitConsole(signed.dataDir().resolve("vms").resolve(vmId), "HANGAR-GUEST-READY", Duration.ofSeconds(180));
    }

    @AfterAll
    static void stop() throws Exception {
        if (signed != null) {
            if (vmId != null) call(signed, "DELETE", "/vms/" + vmId, null);
            signed.close();
            Processes.endDaemons(signed.dataDir());
        }
        if (open != null) open.close();
        if (images != null) images.close();
    }

    // ---- 1. the WebSocket upgrade decides admission, whatever the spelling of its headers -----------

    @Test
    void twoUpgradeHeadersDoNotSkipOAuthOnTheConsoleAndNothingTypedReachesTheGuest() throws Exception {
        Path vmDir = signed.dataDir().resolve("vms").resolve(vmId);
        for (String upgrade : List.of("Upgrade: h2c\r\nUpgrade: websocket\r\n", "Upgrade: h2c, websocket\r\n", "Upgrade: WebSocket/13\r\n")) {
            String request = "GET /vms/" + vmId + "/console/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port(signed) + "\r\n" + upgrade + HANDSHAKE + "\r\n";
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port(signed)), 5000);
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                // What an attacker types at once, as if the upgrade had gone through: a masked text frame.
                out.write(maskedText("echo SMUGGLED-$((40+2))\n"));
                out.flush();
                String status = statusLine(socket.getInputStream());
                assertEquals("HTTP/1.1 401 Unauthorized", status, "refused, never 101: " + upgrade.strip());
            }
        }
        // A typed line the guest's shell runs shows its marker (worked out by the shell) within a second or two.
        Guests.shell(vmDir, "echo PROBE-$((1+1))", Duration.ofSeconds(60));
        assertFalse(Files.readString(vmDir.resolve("serial.log"), StandardCharsets.ISO_8859_1).contains("SMUGGLED-42"),
                "nothing the refused sockets carried reached the guest's console");
    }

    @Test
    void aSignedConsoleWebSocketIsAuditedWhenItOpensAndWhenItClosesWithTheBytesTyped() throws Exception {
        Path vmDir = signed.dataDir().resolve("vms").resolve(vmId);
        URI uri = URI.create(signed.base() + "/vms/" + vmId + "/console/ws");
        String typed = "echo AUDITED-$((6*7))\n";
        java.net.http.WebSocket ws = http.newWebSocketBuilder()
                .header("Authorization", signer.authorization("GET", uri, null, new byte[0]))
                .buildAsync(URI.create(uri.toString().replaceFirst("^http", "ws")), new java.net.http.WebSocket.Listener() { })
                .get(30, TimeUnit.SECONDS);
        ws.sendText(typed, true).get(10, TimeUnit.SECONDS);
        Guests.awaitConsole(vmDir, "AUDITED-42", Duration.ofSeconds(60));
        ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);

        Path audit = signed.dataDir().resolve("audit.log");
        String path = "/vms/" + vmId + "/console/ws";
        JsonNode opened = null;
        JsonNode closed = null;
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (closed == null && System.nanoTime() < until) {
            for (String line : Files.readAllLines(audit)) {
                JsonNode entry = Json.MAPPER.readTree(line);
                if (!path.equals(entry.path("path").textValue())) continue;
                if (entry.path("status").intValue() == 101) opened = entry;
                if ("websocket-closed".equals(entry.path("event").textValue())) closed = entry;
            }
            if (closed == null) Thread.sleep(200);
        }
        assertTrue(opened != null, "the open is audited: " + Files.readString(audit));
        assertEquals(CLIENT, opened.get("consumer_key").textValue());
        assertTrue(closed != null, "the close is audited: " + Files.readString(audit));
        assertEquals(CLIENT, closed.get("consumer_key").textValue(), "who");
        assertEquals(typed.length(), closed.get("bytes_received").intValue(), "the bytes typed");
        assertTrue(closed.get("seconds").doubleValue() > 0, "how long");
    }

    // ---- 2. DNS rebinding against the default loopback service ----------------------------------------

    @Test
    void aRebindingPagesRequestsAreMisdirectedBeforeAnyFaceAndStoreNothing() throws Exception {
        String evil = "rebind.evil.example:" + port(open);
        String template = "{\"name\": \"rebound\", \"memory\": \"256mib\", \"user_data\": \"#!/bin/sh\\necho owned\\n\","
                + " \"image\": {\"url\": \"http://127.0.0.1:1/x.tar.gz\", \"checksum\": \"" + "ab".repeat(32) + "\", \"checksum_type\": \"sha256\"}}";
        for (String[] attack : new String[][] {{"POST", "/templates", template}, {"POST", "/vms", template}}) {
            RawHttp.Answer answer = raw(open, attack[0] + " " + attack[1] + " HTTP/1.1\r\nHost: " + evil + "\r\nOrigin: http://" + evil
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + attack[2].getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + attack[2]);
            assertEquals(421, answer.status(), attack[1] + ": " + answer.text());
            assertEquals("misdirected-request", Json.MAPPER.readTree(answer.body()).get("code").textValue());
        }
        RawHttp.Answer ws = raw(open, "GET /vms/" + "0".repeat(8) + "-0000-4000-8000-" + "0".repeat(12) + "/console/ws HTTP/1.1\r\nHost: " + evil
                + "\r\nOrigin: http://" + evil + "\r\nUpgrade: websocket\r\n" + HANDSHAKE + "\r\n");
        assertEquals(421, ws.status(), "the console WebSocket too, before the VM is even looked up: " + ws.text());
        RawHttp.Answer ui = raw(open, "GET /ui/ HTTP/1.1\r\nHost: " + evil + "\r\n\r\n");
        assertEquals(421, ui.status(), "and the web console's page: a rebinding page cannot read it either");
        assertEquals("[]", get(open, "/templates").strip(), "no template was stored");
        assertEquals("[]", get(open, "/vms").strip(), "no VM was made");
        // The operator's own browser and tools still work, by address or as localhost, on any port form.
        RawHttp.Answer local = raw(open, "GET /vms HTTP/1.1\r\nHost: localhost:" + port(open) + "\r\n\r\n");
        assertEquals(200, local.status());
        RawHttp.Answer old = raw(open, "GET /vms HTTP/1.0\r\n\r\n");
        assertEquals(200, old.status(), "an HTTP/1.0 client without Host, as the seeds' oldest send");
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private static int port(HangarProcess hangar) {
        return URI.create(hangar.base()).getPort();
    }

    private static HttpResponse<String> call(HangarProcess hangar, String method, String path, String body) throws Exception {
        URI uri = URI.create(hangar.base() + path);
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", signer.authorization(method, uri, body == null ? null : "application/json", bytes))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
        if (body != null) b.header("Content-Type", "application/json");
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String get(HangarProcess hangar, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(hangar.base() + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static RawHttp.Answer raw(HangarProcess hangar, String request) {
        RawHttp.Outcome outcome = RawHttp.exchange(new InetSocketAddress("127.0.0.1", port(hangar)),
                request.getBytes(StandardCharsets.UTF_8), false, false, Duration.ofSeconds(10));
        assertEquals(RawHttp.Kind.ANSWERED, outcome.kind(), outcome.detail());
        return outcome.answer();
    }

    private static String statusLine(InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) >= 0 && c != '\n'; ) if (c != '\r') line.append((char) c);
        return line.toString();
    }

    /** One final text frame, masked as a client's must be (RFC 6455 §5.3). */
    private static byte[] maskedText(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {0x12, 0x34, 0x56, 0x78};
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        return frame;
    }
}
