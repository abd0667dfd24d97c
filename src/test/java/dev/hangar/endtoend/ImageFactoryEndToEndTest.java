package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.builds.providers.DistributionRegistry;
import dev.hangar.builds.providers.OciRegistryClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image Factory's API end to end against the real service: a client written from v2's shapes runs
 * the whole mock flow (with callbacks); a provider image goes to a real OCI registry from Debian's
 * packages and comes back byte for byte; and a real Debian image is built from a TDL with a package, a
 * file and a command, published by the hangar provider, and booted through {@code /vms}, where the
 * file and the command's effect are seen from outside. The service runs in the test's network
 * namespace; apt reaches the archive through the relay src/test/netns/bin/java makes outside it
 * (HANGAR_TEST_APT_RELAY), behind a socat listener this test starts on 127.0.0.1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class ImageFactoryEndToEndTest {
    static final String MOCK_TDL = "<template><name>mock</name><os><name>MockOS_A</name><version>1</version><arch>x86_64</arch>"
            + "<install type='url'><url>http://mock.test/</url></install></os><description>a mock</description></template>";
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A systemd unit (a template file) serving the page the template's command writes. */
    static final String UNIT = "[Unit]\nDescription=test page\nAfter=network.target\n\n[Service]\n"
            + "ExecStart=/bin/busybox httpd -f -p 80 -h /srv/www\n\n[Install]\nWantedBy=multi-user.target\n";
    /** Run by the new system's shell inside its root: a command substitution and a redirection. */
    static final String COMMAND = "mkdir -p /srv/www && printf 'made by the command in %s\\n' \"$(cat /etc/hostname)\" > /srv/www/index.html"
            + " && systemctl enable www.service";

    @TempDir
    static Path data;
    static Process aptRelay;
    static HangarProcess hangar;
    static CallbackReceiver callbacks;
    static DistributionRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests run through ./test, in a network namespace");
        callbacks = new CallbackReceiver();
        registry = new DistributionRegistry(data.resolve("registry"), null, null);
        String relay = System.getenv("HANGAR_TEST_APT_RELAY");
        int proxyPort;
        try (var s = new java.net.ServerSocket(0)) {
            proxyPort = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of("--build-min-free", "64mib", "--delete-grace", "3",
                "--nat-bridge", "hgf0", "--nat-subnet", "10.225.0.0/24", "--hostonly-bridge", "hgf1", "--hostonly-subnet", "10.226.0.0/24"));
        if (relay != null) {
            aptRelay = new ProcessBuilder("socat", "TCP-LISTEN:" + proxyPort + ",bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:" + relay)
                    .redirectErrorStream(true).redirectOutput(data.resolve("socat.log").toFile()).start();
            args.addAll(List.of("--apt-proxy", "http://127.0.0.1:" + proxyPort));
        }
        hangar = new HangarProcess(data.resolve("hangar"), args.toArray(String[]::new)).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (hangar != null) {
            for (JsonNode vm : call("GET", "/vms", null).json()) call("DELETE", "/vms/" + vm.get("id").textValue(), null);
            System.out.println("---- service log ----\n" + hangar.log());
            hangar.close();
            Processes.endDaemons(hangar.dataDir());
        }
        if (aptRelay != null) aptRelay.destroy();
        if (registry != null) registry.close();
        if (callbacks != null) callbacks.close();
    }

    @Test
    @Order(1)
    void aV2ClientRunsTheWholeMockFlowInSecondsWithCallbacksAndDeletesLeaveNothing() throws Exception {
        long t0 = System.nanoTime();
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode b = body.putObject("base_image").put("template", MOCK_TDL);
        b.putObject("parameters").putArray("callbacks").add(callbacks.url());
        Reply created = call("POST", "/imagefactory/base_images", body.toString());
        assertEquals(202, created.status(), created.body());
        String id = created.json().get("base_image").get("id").textValue();
        JsonNode base = await("/imagefactory/base_images/" + id, "base_image");
        assertEquals(100, base.get("percent_complete").intValue());

        Reply target = call("POST", "/imagefactory/base_images/" + id + "/target_images", "{\"target_image\": {\"target\": \"mock\"}}");
        assertEquals(202, target.status(), target.body());
        String tid = target.json().get("target_image").get("id").textValue();
        await("/imagefactory/target_images/" + tid, "target_image");
        System.out.printf("v2 mock flow: base image and target image COMPLETE in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

        // The callbacks: a PUT of the wrapped object at each status change, ending COMPLETE.
        List<String> statuses = new ArrayList<>();
        while (!statuses.contains("COMPLETE")) {
            JsonNode put = callbacks.next(Duration.ofSeconds(10)).body();
            assertEquals(id, put.get("base_image").get("id").textValue());
            statuses.add(put.get("base_image").get("status").textValue());
        }
        assertTrue(statuses.containsAll(List.of("BUILDING", "COMPLETE")), statuses.toString());

        assertEquals(204, call("DELETE", "/imagefactory/target_images/" + tid, null).status());
        assertEquals(204, call("DELETE", "/imagefactory/base_images/" + id, null).status());
        assertEquals(404, call("GET", "/imagefactory/base_images/" + id, null).status());
        assertEquals(404, call("GET", "/imagefactory/target_images/" + tid, null).status());
        assertTrue(Files.notExists(hangar.dataDir().resolve("builds").resolve(id)), "the base image's files are gone");
    }

    @Test
    @Order(2)
    void aProviderImagePushedToAnOciRegistryPullsBackByteForByte() throws Exception {
        Reply target = call("POST", "/imagefactory/target_images",
                Json.MAPPER.createObjectNode().set("target_image", Json.MAPPER.createObjectNode().put("target", "mock").put("template", MOCK_TDL)).toString());
        assertEquals(202, target.status(), target.body());
        String tid = target.json().get("target_image").get("id").textValue();
        await("/imagefactory/target_images/" + tid, "target_image");
        URI rawUri = URI.create(hangar.base() + "/imagefactory/target_images/" + tid + "/raw_image");
        HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(rawUri).build(), HttpResponse.BodyHandlers.ofByteArray());
        byte[] raw = whole.body();
        // A download cut off halfway resumes where it stopped, as curl -C - and wget -c ask, and an unchanged
        // image is not sent again; HEAD says how large it is.
        int half = raw.length / 2;
        HttpResponse<byte[]> rest = http.send(HttpRequest.newBuilder(rawUri).header("Range", "bytes=" + half + "-").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, rest.statusCode());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(raw, half, raw.length), rest.body()), "the second half, byte for byte");
        String etag = whole.headers().firstValue("ETag").orElseThrow();
        assertEquals(304, http.send(HttpRequest.newBuilder(rawUri).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(rawUri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(String.valueOf(raw.length), head.headers().firstValue("Content-Length").orElse(""));

        ObjectNode provider = Json.MAPPER.createObjectNode().put("type", "oci").put("registry", registry.url().toString())
                .put("repository", "hangar/mock").put("tag", "v1");
        ObjectNode pb = Json.MAPPER.createObjectNode();
        pb.putObject("provider_image").put("provider", provider.toString()).put("credentials", "{}");
        Reply pushed = call("POST", "/imagefactory/target_images/" + tid + "/provider_images", pb.toString());
        assertEquals(202, pushed.status(), pushed.body());
        JsonNode p = await("/imagefactory/provider_images/" + pushed.json().get("provider_image").get("id").textValue(), "provider_image");
        String digest = p.get("digest").textValue();
        assertTrue(p.get("identifier_on_provider").textValue().endsWith("hangar/mock@" + digest), p.toString());

        OciRegistryClient client = new OciRegistryClient(http, registry.url(), "hangar/mock", null, null);
        JsonNode manifest = client.manifest(digest);
        String layer = manifest.get("layers").get(0).get("digest").textValue();
        Path back = data.resolve("pulled");
        client.downloadBlob(layer, back);
        assertArrayEquals(raw, Files.readAllBytes(back), "the registry gives back the bytes the factory made");
    }

    @Test
    @Order(3)
    void aDebianImageBuiltFromATemplateBootsThroughVmsWithItsFileAndItsCommandsEffect() throws Exception {
        assumeTrue(aptRelay != null, "no relay to the apt archive (HANGAR_TEST_APT_RELAY): run through ./test");
        String tdl = "<template><name>web</name><os><name>Debian</name><version>12</version><arch>x86_64</arch>"
                + "<install type='url'><url>http://deb.debian.org/debian</url></install><rootpw>hangar-e2e</rootpw></os>"
                + "<description>a package, a file and a command</description>"
                + "<packages><package name='busybox'/></packages>"
                + "<files><file name='/etc/systemd/system/www.service' type='raw'>" + UNIT + "</file>"
                + "<file name='/srv/www/file.txt' type='base64'>" + java.util.Base64.getEncoder().encodeToString("from the template's file\n".getBytes())
                + "</file></files>"
                + "<commands><command name='page'>" + COMMAND.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</command></commands></template>";
        long t0 = System.nanoTime();
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putObject("base_image").put("template", tdl);
        Reply created = call("POST", "/imagefactory/base_images", body.toString());
        assertEquals(202, created.status(), created.body());
        String id = created.json().get("base_image").get("id").textValue();
        List<Integer> percents = new ArrayList<>();
        JsonNode base = awaitWatching("/imagefactory/base_images/" + id, "base_image", Duration.ofMinutes(20), percents);
        long built = (System.nanoTime() - t0) / 1_000_000_000;
        assertTrue(percents.stream().distinct().count() >= 5, "the percent moved with the work: " + percents);

        Reply target = call("POST", "/imagefactory/base_images/" + id + "/target_images", "{\"target_image\": {\"target\": \"kvm\"}}");
        String tid = target.json().get("target_image").get("id").textValue();
        await("/imagefactory/target_images/" + tid, "target_image");
        Path qcow2 = data.resolve("target.qcow2");
        http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/imagefactory/target_images/" + tid + "/raw_image")).build(),
                HttpResponse.BodyHandlers.ofFile(qcow2));
        String check = dev.hangar.process.Command.check("qemu-img", "check", "-f", "qcow2", qcow2.toString()).stdout();
        assertTrue(check.contains("No errors were found"), check);

        Reply pushed = call("POST", "/imagefactory/target_images/" + tid + "/provider_images", "{\"provider_image\": {\"provider\": \"hangar\"}}");
        JsonNode p = await("/imagefactory/provider_images/" + pushed.json().get("provider_image").get("id").textValue(), "provider_image");

        // The provider image's url, checksum and checksum_type, pasted into a /vms body.
        ObjectNode vm = Json.MAPPER.createObjectNode().put("memory", "512mib").put("cpus", 1);
        vm.putObject("image").put("url", p.get("url").textValue()).put("checksum", p.get("checksum").textValue())
                .put("checksum_type", p.get("checksum_type").textValue());
        Reply made = call("POST", "/vms", vm.toString());
        assertEquals(202, made.status(), made.body());
        String vmId = made.json().get("id").textValue();
        long bootStart = System.nanoTime();
        JsonNode running = awaitIp(vmId, Duration.ofMinutes(6));
        String ip = running.get("ip_address").textValue();
        assertTrue(ip.startsWith("10.225.0."), "a lease from the nat network's dnsmasq: " + running);
        String page = awaitPage("http://" + ip + "/index.html", Duration.ofMinutes(3));
        assertEquals("made by the command in web\n", page, "the command's effect, with the host name the build set");
        assertEquals("from the template's file\n", awaitPage("http://" + ip + "/file.txt", Duration.ofSeconds(30)));
        System.out.printf("Debian build through the API: base image in %d s (%s), booted through /vms to its page in %d s%n", built,
                base.get("status_detail").get("activity").textValue(), (System.nanoTime() - bootStart) / 1_000_000_000);
        assertEquals(204, call("DELETE", "/vms/" + vmId, null).status());
    }

    private static JsonNode awaitIp(String vmId, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        JsonNode vm;
        do {
            vm = call("GET", "/vms/" + vmId, null).json();
            if (!vm.path("ip_address").asText().isEmpty()) return vm;
            if (vm.path("status").asText().equals("error")) throw new AssertionError(vm.toString());
            Thread.sleep(500);
        } while (System.nanoTime() < until);
        throw new AssertionError("no address within " + timeout + ": " + vm + "\n" + call("GET", "/vms/" + vmId + "/console", null).body());
    }

    private static String awaitPage(String url, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < until) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return r.body();
            } catch (java.io.IOException e) {
                last = e;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("no page at " + url + " within " + timeout, last);
    }

    private static JsonNode awaitWatching(String path, String wrapper, Duration timeout, List<Integer> percents) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        JsonNode o;
        do {
            o = call("GET", path, null).json().get(wrapper);
            percents.add(o.get("percent_complete").intValue());
            if (o.get("status").textValue().equals("FAILED")) throw new AssertionError(o.toString());
            if (o.get("status").textValue().equals("COMPLETE")) return o;
            Thread.sleep(1000);
        } while (System.nanoTime() < until);
        throw new AssertionError("not COMPLETE within " + timeout + ": " + o);
    }

    private static JsonNode await(String path, String wrapper) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonNode o;
        do {
            o = call("GET", path, null).json().get(wrapper);
            if (o.get("status").textValue().equals("FAILED")) throw new AssertionError(o.toString());
            if (o.get("status").textValue().equals("COMPLETE")) return o;
            Thread.sleep(50);
        } while (System.nanoTime() < until);
        throw new AssertionError("not COMPLETE within 120 s: " + o);
    }

    record Reply(int status, String body) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(body);
        }
    }

    private static Reply call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hangar.base() + path)).timeout(Duration.ofSeconds(60));
        if (body != null) b.header("Content-Type", "application/json");
        HttpResponse<String> r = http.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }
}
