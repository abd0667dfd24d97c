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
    /** The user-mode service's VM, once a test asked for it (see {@link #userModeVm}). */
    static String userVmId;
    /** Secrets a client gave in URLs and user-data: stored, used, and never shown. */
    static final String IMAGE_SECRET = "img-sig-5e3f";
    static final String CALLBACK_SECRET = "cb-token-91aa";
    static final String USER_DATA_SECRET = "ud-secret-2c7b";

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        Machines.prepare("qemu");
        // Walkable by others (as /var/lib is), so what a local user or a QEMU may reach is decided by Hangar's modes below it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Path config = dir.resolve("hangar.json");
        Files.writeString(config, "{\"clients\": {\"" + CLIENT + "\": \"" + SECRET + "\"}}");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        images = new ImageServer();
        signed = new HangarProcess(dir.resolve("signed"), "--delete-grace", "1", "--max-image-size", "200mib", "--config", config.toString()).start();
        open = new HangarProcess(dir.resolve("open"), "--delete-grace", "1", "--network-mode", "user").start();
        Path image = TestImages.directBoot();
        ObjectNode body = Json.MAPPER.createObjectNode().put("name", "target").put("memory", "256mib")
                .put("callback_url", "http://127.0.0.1:9/hook?token=" + CALLBACK_SECRET)
                .put("user_data", "#!/bin/sh\necho " + USER_DATA_SECRET + " > /run/secret\n");
        // A pre-signed image URL, as object stores hand out: the image server ignores the query.
        body.putObject("image").put("url", images.serve("/direct-boot.tar.gz", image) + "?X-Signature=" + IMAGE_SECRET)
                .put("checksum", TestImages.sha256(image)).put("checksum_type", "sha256");
        HttpResponse<String> created = call(signed, "POST", "/vms", body.toString());
        assertEquals(202, created.statusCode(), created.body());
        vmId = Json.MAPPER.readTree(created.body()).get("id").textValue();
        Guests.awaitConsole(signed.dataDir().resolve("vms").resolve(vmId), "HANGAR-GUEST-READY", Duration.ofSeconds(180));
    }

    @AfterAll
    static void stop() throws Exception {
        if (signed != null) {
            if (vmId != null) deleteAndWait(signed, vmId);
            signed.close();
            Processes.endDaemons(signed.dataDir());
        }
        if (open != null) {
            if (userVmId != null) deleteAndWait(open, userVmId);
            open.close();
            Processes.endDaemons(open.dataDir());
        }
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

    // ---- 5. with OAuth on, reads are signed too, and no answer or log line carries a secret ---------------

    @Test
    void withOauthOnEveryReadIsSignedButHealthAndTheConsolesPage() throws Exception {
        for (String path : List.of("/vms", "/vms/" + vmId, "/vms/" + vmId + "/console", "/operations", "/templates", "/events",
                "/metrics", "/imagefactory/base_images", "/hosts", "/images")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(signed.base() + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, r.statusCode(), path + ": " + r.body());
            assertFalse(r.body().contains(vmId), path + " shows nothing unsigned");
        }
        for (String path : List.of("/healthz", "/readyz", "/ui/")) {
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(signed.base() + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), path + " stays open");
        }
        assertEquals(200, call(signed, "GET", "/vms", null).statusCode(), "a signed read is answered");
    }

    @Test
    void noAnswerOrLogLineShowsTheSecretsOfUrlsUserDataOrRootPasswords() throws Exception {
        String vm = call(signed, "GET", "/vms/" + vmId, null).body();
        JsonNode json = Json.MAPPER.readTree(vm);
        assertTrue(json.get("image").get("url").textValue().endsWith("/direct-boot.tar.gz?X-Signature=***"), vm);
        assertEquals("http://127.0.0.1:9/hook?token=***", json.get("callback_url").textValue());
        String template = "{\"name\": \"secretive\", \"user_data\": \"" + USER_DATA_SECRET + "\", \"image\": {\"url\":"
                + " \"https://alice:pw-" + IMAGE_SECRET + "@images.example.org/x.tar.gz\", \"checksum\": \"" + "ab".repeat(32)
                + "\", \"checksum_type\": \"sha256\"}}";
        assertEquals(201, call(signed, "POST", "/templates", template).statusCode());
        String templates = call(signed, "GET", "/templates", null).body();
        assertTrue(templates.contains("\"user_data_set\":true") && templates.contains("https://***@images.example.org/x.tar.gz"), templates);
        String build = "{\"base_image\": {\"template\": \"<template><name>s</name><os><name>MockOS_A</name><version>1</version>"
                + "<arch>x86_64</arch><rootpw>" + USER_DATA_SECRET + "</rootpw><install type='url'><url>http://mock.test/</url></install>"
                + "</os></template>\"}}";
        HttpResponse<String> made = call(signed, "POST", "/imagefactory/base_images", build);
        assertEquals(202, made.statusCode(), made.body());
        String shown = call(signed, "GET", "/imagefactory/base_images", null).body();
        assertTrue(shown.contains("<rootpw>***</rootpw>"), shown);
        for (String text : List.of(vm, templates, shown, call(signed, "GET", "/operations", null).body(), signed.log())) {
            for (String secret : List.of(IMAGE_SECRET, CALLBACK_SECRET, USER_DATA_SECRET)) {
                assertFalse(text.contains(secret), secret + " shown in: " + text.substring(0, Math.min(text.length(), 4000)));
            }
        }
    }

    @Test
    void aPublishedImageIsASignedReadAndHangarFetchingItFromItselfSignsAsItself() throws Exception {
        String tdl = ImageFactoryEndToEndTest.MOCK_TDL;
        HttpResponse<String> target = call(signed, "POST", "/imagefactory/target_images",
                Json.MAPPER.createObjectNode().set("target_image", Json.MAPPER.createObjectNode().put("target", "mock").put("template", tdl)).toString());
        assertEquals(202, target.statusCode(), target.body());
        String tid = Json.MAPPER.readTree(target.body()).get("target_image").get("id").textValue();
        awaitComplete("/imagefactory/target_images/" + tid, "target_image");
        HttpResponse<String> pushed = call(signed, "POST", "/imagefactory/target_images/" + tid + "/provider_images",
                "{\"provider_image\": {\"provider\": \"hangar\"}}");
        assertEquals(202, pushed.statusCode(), pushed.body());
        JsonNode p = awaitComplete("/imagefactory/provider_images/" + Json.MAPPER.readTree(pushed.body()).get("provider_image").get("id").textValue(),
                "provider_image");
        String url = p.get("url").textValue();
        assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode(),
                "nobody downloads a built image unsigned");
        assertEquals(200, call(signed, "GET", URI.create(url).getRawPath(), null).statusCode(), "a client of the service does, signed");

        ObjectNode body = Json.MAPPER.createObjectNode().put("tools_init_timeout", 1);
        body.putObject("image").put("url", url).put("checksum", p.get("checksum").textValue()).put("checksum_type", p.get("checksum_type").textValue());
        HttpResponse<String> created = call(signed, "POST", "/vms", body.toString());
        assertEquals(202, created.statusCode(), created.body());
        String id = Json.MAPPER.readTree(created.body()).get("id").textValue();
        try {
            // The mock build's file is no VM: the creation ends image-format-unsupported, which is only said
            // once every byte arrived and matched its checksum. Unsigned, it would have been a 401: image-download-failed.
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            JsonNode vm;
            do {
                vm = Json.MAPPER.readTree(call(signed, "GET", "/vms/" + id, null).body());
                if (vm.get("status").textValue().equals("error")) break;
                Thread.sleep(200);
            } while (System.nanoTime() < until);
            assertEquals("image-format-unsupported", vm.path("error").path("code").textValue(),
                    "Hangar fetched the image it published from itself, signed: " + vm);
        } finally {
            call(signed, "DELETE", "/vms/" + id, null);
        }
    }

    // ---- 3. guests reach the outside, but nothing of the host and no metadata address ------------------

    /**
     * "Outside the host": a namespace of this test's own behind a veth, serving a page on 198.18.7.2 and,
     * as a cloud's metadata service would, on 169.254.169.254; and a service of the host's own, on all of
     * its addresses, that no guest may reach.
     */
    private static final class Outside implements AutoCloseable {
        final String ns = "hgsec-out-" + ProcessHandle.current().pid();
        final com.sun.net.httpserver.HttpServer host;
        Process httpd;

        Outside() throws Exception {
            Path www = Files.createDirectories(dir.resolve("outside-www"));
            Files.writeString(www.resolve("index.html"), "outside-ok\n");
            host = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 10);
            host.createContext("/", ex -> {
                byte[] page = "host-service-page\n".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, page.length);
                try (var out = ex.getResponseBody()) {
                    out.write(page);
                }
            });
            host.start();
            for (String command : List.of("ip netns add " + ns, "ip link add hgsv0 type veth peer name hgsv1",
                    "ip link set hgsv1 netns " + ns, "ip addr add 198.18.7.1/24 dev hgsv0", "ip link set hgsv0 up",
                    "ip route add 169.254.169.254/32 via 198.18.7.2", "ip -n " + ns + " link set lo up",
                    "ip -n " + ns + " addr add 169.254.169.254/32 dev lo", "ip -n " + ns + " addr add 198.18.7.2/24 dev hgsv1",
                    "ip -n " + ns + " link set hgsv1 up")) {
                dev.hangar.process.Command.check(List.of(command.split(" ")), Duration.ofSeconds(10));
            }
            httpd = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", "80", "-h", www.toString())
                    .redirectErrorStream(true).start();
        }

        int hostPort() {
            return host.getAddress().getPort();
        }

        @Override
        public void close() throws Exception {
            host.stop(0);
            if (httpd != null) {
                httpd.destroy();
                httpd.waitFor(10, TimeUnit.SECONDS);
            }
            dev.hangar.process.Command.run(List.of("ip", "link", "delete", "hgsv0"), Duration.ofSeconds(10));
            dev.hangar.process.Command.run(List.of("ip", "route", "delete", "169.254.169.254/32"), Duration.ofSeconds(10));
            dev.hangar.process.Command.run(List.of("ip", "netns", "delete", ns), Duration.ofSeconds(10));
        }
    }

    /** What a guest fetches from ADDRESS:PORT with busybox nc, then "LABEL-rc=N". */
    private static String probe(String address, int port, String label) {
        return "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + address + " " + port + "; echo " + label + "-rc=$?; ";
    }

    @Test
    void aNatGuestReachesTheOutsideButNoPortOfTheHostAndNoLinkLocalAddress() throws Exception {
        try (Outside outside = new Outside()) {
            Path vmDir = signed.dataDir().resolve("vms").resolve(vmId);
            String out = Guests.shell(vmDir, Guests.httpGet("198.18.7.2") + "; echo outside-rc=$?; "
                    + Guests.httpGet("169.254.169.254") + "; echo metadata-rc=$?; "
                    + probe("10.213.0.1", outside.hostPort(), "host") + probe("10.213.0.1", port(signed), "hangar")
                    + "nslookup hangar-test 10.213.0.1 >/dev/null; echo dns-rc=$?", Duration.ofSeconds(90));
            assertTrue(out.contains("outside-ok"), "the guest reaches a server outside the host: " + out);
            assertEquals(1, out.split("outside-ok", -1).length - 1, "and only that one: the metadata address is refused: " + out);
            assertFalse(out.contains("host-service-page"), "no port of the host: " + out);
            assertTrue(out.contains("dns-rc=0"), "the bridge's DNS still answers: " + out);
            String ip = Json.MAPPER.readTree(call(signed, "GET", "/vms/" + vmId, null).body()).get("ip_address").textValue();
            assertTrue(Guests.page(ip).startsWith("hangar-guest-ok"), "and the host still reaches the guest's page (its answers come back)");
        }
    }

    /** A VM on the user-mode service, booted once for the tests that need a second guest. */
    private static synchronized String userModeVm() throws Exception {
        if (userVmId != null) return userVmId;
        Path image = TestImages.directBoot();
        ObjectNode body = Json.MAPPER.createObjectNode().put("name", "user-mode").put("memory", "256mib");
        body.putObject("image").put("url", images.serve("/direct-boot.tar.gz", image))
                .put("checksum", TestImages.sha256(image)).put("checksum_type", "sha256");
        HttpResponse<String> created = call(open, "POST", "/vms", body.toString());
        assertEquals(202, created.statusCode(), created.body());
        userVmId = Json.MAPPER.readTree(created.body()).get("id").textValue();
        Path vmDir = open.dataDir().resolve("vms").resolve(userVmId);
        Guests.awaitConsole(vmDir, "HANGAR-GUEST-READY", Duration.ofSeconds(180));
        Guests.awaitShell(vmDir, Duration.ofSeconds(60));
        return userVmId;
    }

    @Test
    void aUserModeGuestReachesTheOutsideButNotTheHostsLoopbackNorItsAddressesNorLinkLocal() throws Exception {
        Path vmDir = open.dataDir().resolve("vms").resolve(userModeVm());
        try (Outside outside = new Outside()) {
            // 10.0.2.2 is QEMU's name for the host's 127.0.0.1, where Hangar listens unsigned.
            // One probe a line: a long line typed into this console was seen to stall it.
            java.util.Map<String, String> got = new java.util.LinkedHashMap<>();
            got.put("outside", Guests.shell(vmDir, probe("198.18.7.2", 80, "outside"), Duration.ofSeconds(45)));
            got.put("metadata", Guests.shell(vmDir, probe("169.254.169.254", 80, "metadata"), Duration.ofSeconds(45)));
            got.put("hangar", Guests.shell(vmDir, probe("10.0.2.2", port(open), "hangar"), Duration.ofSeconds(45)));
            got.put("loopback", Guests.shell(vmDir, probe("10.0.2.2", outside.hostPort(), "loopback"), Duration.ofSeconds(45)));
            got.put("address", Guests.shell(vmDir, probe("198.18.7.1", outside.hostPort(), "address"), Duration.ofSeconds(45)));
            assertTrue(got.get("outside").contains("outside-ok"), "the guest reaches a server outside the host: " + got);
            assertFalse(got.get("metadata").contains("outside-ok"), "but not the metadata address there: " + got);
            assertFalse(got.get("hangar").contains("HTTP/"), "Hangar's port on the host's loopback is refused: " + got);
            assertFalse(got.get("loopback").contains("host-service-page"), "another loopback port too: " + got);
            assertFalse(got.get("address").contains("host-service-page"), "and the host's own address: " + got);
        }
    }

    // ---- 11. one user per QEMU ------------------------------------------------------------------------

    /** Runs argv as this uid in the QEMUs' group alone, as a QEMU a guest took over would; its exit code and output. */
    private static dev.hangar.process.Command.Result as(int uid, int gid, String... argv) throws Exception {
        List<String> a = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
        a.addAll(List.of(argv));
        return dev.hangar.process.Command.run(a, Duration.ofSeconds(10));
    }

    private static long qemuPid(Path vmDir) throws Exception {
        return Long.parseLong(Files.readString(vmDir.resolve("qemu.pid")).strip());
    }

    @Test
    void eachQemuRunsAsAUidOfItsOwnThatCannotSignalTraceOrReadAnotherOrWriteAGold() throws Exception {
        Path dirA = signed.dataDir().resolve("vms").resolve(vmId);
        Path dirB = open.dataDir().resolve("vms").resolve(userModeVm());
        long pidA = qemuPid(dirA);
        long pidB = qemuPid(dirB);
        int uidA = (Integer) Files.getAttribute(Path.of("/proc/" + pidA), "unix:uid");
        int uidB = (Integer) Files.getAttribute(Path.of("/proc/" + pidB), "unix:uid");
        int gid = (Integer) Files.getAttribute(signed.dataDir(), "unix:gid");
        String range = dev.hangar.process.QemuUsers.uidRange();
        assertTrue(uidA >= dev.hangar.process.QemuUsers.FIRST_UID && uidB >= dev.hangar.process.QemuUsers.FIRST_UID,
                "both QEMUs run as uids of Hangar's range " + range + ": " + uidA + ", " + uidB);
        assertTrue(uidA != uidB, "and not the same one: " + uidA);

        assertEquals(0, as(uidB, gid, "kill", "-0", String.valueOf(pidB)).exitCode(), "a QEMU's own uid may signal it (the check below can fail)");
        assertTrue(as(uidA, gid, "kill", "-0", String.valueOf(pidB)).exitCode() != 0, "A cannot signal B");
        assertTrue(as(uidA, gid, "cat", "/proc/" + pidB + "/environ").exitCode() != 0, "nor trace it (its memory, its environment)");
        assertEquals(0, as(uidA, gid, "stat", dirB.toString()).exitCode(), "A walks the way to B's directory (its group may)");
        assertTrue(as(uidA, gid, "ls", dirB.toString()).exitCode() != 0, "but cannot list it");
        assertTrue(as(uidA, gid, "cat", dirB.resolve("serial.log").toString()).exitCode() != 0, "nor read B's console");

        Path gold;
        try (var files = Files.walk(signed.dataDir().resolve("images"))) {
            gold = files.filter(p -> p.getFileName().toString().equals("disk0.qcow2")).findFirst().orElseThrow();
        }
        assertEquals(0, Files.getAttribute(gold, "unix:uid"), "the gold is root's");
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(gold)), "and read-only");
        assertEquals(0, as(uidA, gid, "head", "-c", "4", gold.toString()).exitCode(), "a QEMU reads it (its clones' backing file)");
        assertTrue(as(uidA, gid, "sh", "-c", "echo x >> \"$0\"", gold.toString()).exitCode() != 0, "and cannot write it");
    }

    // ---- 7. files no other local user can read ----------------------------------------------------------

    @Test
    void theDataDirectoryIsClosedToEveryOtherLocalUserAndTheDatabaseToTheQemusToo() throws Exception {
        Path data = signed.dataDir();
        int gid = (Integer) Files.getAttribute(data, "unix:gid");
        assertEquals("rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("hangar.db"))));
        assertTrue(as(65534, 65534, "ls", data.toString()).exitCode() != 0, "nobody lists it");
        assertTrue(as(65534, 65534, "head", "-c", "1", data.resolve("hangar.db").toString()).exitCode() != 0, "nor reads the database");
        int someQemu = dev.hangar.process.QemuUsers.FIRST_UID + 12345;
        assertEquals(0, as(someQemu, gid, "stat", data.resolve("hangar.db").toString()).exitCode(), "a QEMU walks in");
        assertTrue(as(someQemu, gid, "ls", data.toString()).exitCode() != 0, "but lists nothing");
        assertTrue(as(someQemu, gid, "head", "-c", "1", data.resolve("hangar.db").toString()).exitCode() != 0, "nor reads the database");
    }

    // ---- 8. one source cannot deny the service to others ---------------------------------------------

    /** Sends a request from this source address (a loopback one) and returns its status line, or "closed". */
    private static String statusFrom(String source, HangarProcess hangar, String request) throws Exception {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port(hangar)), 5000);
            socket.setSoTimeout(10_000);
            try {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
                String status = statusLine(socket.getInputStream());
                return status.isEmpty() ? "closed" : status;
            } catch (java.io.IOException reset) {
                return "closed";
            }
        }
    }

    @Test
    void oneAddressCannotTakeEveryEventStreamLoginOrConnection() throws Exception {
        List<Socket> held = new java.util.ArrayList<>();
        try {
            // Event streams: eight from one address, then 429 for it alone.
            String events = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                held.add(s);
                s.bind(new InetSocketAddress("127.0.0.5", 0));
                s.connect(new InetSocketAddress("127.0.0.1", port(open)), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(events.getBytes(StandardCharsets.UTF_8));
                assertEquals("HTTP/1.1 200 OK", statusLine(s.getInputStream()), "stream " + i);
            }
            assertEquals("HTTP/1.1 429 Too Many Requests", statusFrom("127.0.0.5", open, events));
            assertEquals("HTTP/1.1 200 OK", statusFrom("127.0.0.1", open, "GET /events HTTP/1.0\r\n\r\n"),
                    "the operator's console still gets its stream");

            // Logins: twenty wrong secrets from one address hold that address back, not the operator's.
            String badLogin = "{\"client\": \"" + CLIENT + "\", \"secret\": \"guess\"}";
            String login = "POST /ui/session HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hangar-Session: 1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ";
            for (int i = 0; i < 20; i++) assertEquals("HTTP/1.1 401 Unauthorized", statusFrom("127.0.0.6", signed, login + badLogin.length() + "\r\n\r\n" + badLogin));
            assertEquals("HTTP/1.1 429 Too Many Requests", statusFrom("127.0.0.6", signed, login + badLogin.length() + "\r\n\r\n" + badLogin));
            String goodLogin = "{\"client\": \"" + CLIENT + "\", \"secret\": \"" + SECRET + "\"}";
            assertEquals("HTTP/1.1 200 OK", statusFrom("127.0.0.1", signed, login + goodLogin.length() + "\r\n\r\n" + goodLogin),
                    "the real operator logs in from elsewhere");

            // Signatures: thirty wrong ones from one address, then that address waits; a signed client elsewhere does not.
            String forged = "GET /vms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: OAuth oauth_consumer_key=\"" + CLIENT
                    + "\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"" + java.time.Instant.now().getEpochSecond()
                    + "\", oauth_nonce=\"n%d\", oauth_signature=\"AAAA\"\r\n\r\n";
            for (int i = 0; i < 30; i++) assertEquals("HTTP/1.1 401 Unauthorized", statusFrom("127.0.0.7", signed, String.format(forged, i)));
            assertEquals("HTTP/1.1 429 Too Many Requests", statusFrom("127.0.0.7", signed, String.format(forged, 99)));
            assertEquals(200, call(signed, "GET", "/vms", null).statusCode());

            // Connections: sixty-four from one address; the next is closed, the operator's is served.
            for (int i = 0; i < 64; i++) {
                Socket s = new Socket();
                held.add(s);
                s.bind(new InetSocketAddress("127.0.0.8", 0));
                s.connect(new InetSocketAddress("127.0.0.1", port(open)), 5000);
            }
            Thread.sleep(500); // counted: the server's selectors take connections in no set order
            assertEquals("closed", statusFrom("127.0.0.8", open, "GET /vms HTTP/1.0\r\n\r\n"));
            assertEquals("HTTP/1.1 200 OK", statusFrom("127.0.0.1", open, "GET /vms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
        } finally {
            for (Socket s : held) s.close();
        }
    }

    // ---- 10. networks take no interface of the host ----------------------------------------------------

    @Test
    void aNetworkCannotTakeAHostInterfaceABuiltInBridgeOrAnOptionLikeName() throws Exception {
        for (String bridge : List.of("lo", "hangar0", "-evil", "BR0", "br0;reboot", "a".repeat(16))) {
            HttpResponse<String> r = call(signed, "POST", "/networks/sec-" + Math.abs(bridge.hashCode()), "{\"bridge\": \"" + bridge + "\", \"vlan\": 10}");
            assertEquals(400, r.statusCode(), bridge + ": " + r.body());
            assertEquals("bridge-not-allowed", Json.MAPPER.readTree(r.body()).get("code").textValue(), bridge);
        }
        assertFalse(call(signed, "GET", "/networks", null).body().contains("sec-"), "no network was defined");
        HttpResponse<String> fresh = call(signed, "POST", "/networks/sec-ok", "{\"bridge\": \"hsecbr0\", \"vlan\": 10}");
        assertEquals(201, fresh.statusCode(), "a bridge Hangar makes is fine: " + fresh.body());
        assertEquals(204, call(signed, "DELETE", "/networks/sec-ok", null).statusCode());
    }

    private static JsonNode awaitComplete(String path, String wrapper) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonNode o;
        do {
            o = Json.MAPPER.readTree(call(signed, "GET", path, null).body()).get(wrapper);
            if (o.get("status").textValue().equals("FAILED")) throw new AssertionError(o.toString());
            if (o.get("status").textValue().equals("COMPLETE")) return o;
            Thread.sleep(100);
        } while (System.nanoTime() < until);
        throw new AssertionError("not COMPLETE within 120 s: " + o);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** Deletes the VM and waits until it is gone (its QEMU ended), so no guest outlives the suite. */
    private static void deleteAndWait(HangarProcess hangar, String id) throws Exception {
        call(hangar, "DELETE", "/vms/" + id, null);
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (call(hangar, "GET", "/vms/" + id, null).statusCode() != 404 && System.nanoTime() < until) Thread.sleep(250);
    }

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
