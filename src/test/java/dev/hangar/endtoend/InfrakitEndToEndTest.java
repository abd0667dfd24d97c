package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.testing.ImageServer;
import dev.hangar.testing.UnixHttpClient;
import dev.hangar.testing.UnixHttpClient.Answer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The InfraKit instance plugin end to end: the real service, real QEMU guests (the direct-boot test
 * image), driven over its Unix socket by a small group plugin written from the protocol's shapes. The
 * group comes up in the 2016 form; from the killed member on it is driven in the JSON-RPC form, as a
 * later InfraKit would after an upgrade. QEMU driver only; at most three guests at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class InfrakitEndToEndTest {
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String GROUP = "hangar-e2e";

    @TempDir
    static Path data;
    static ImageServer images;
    static HangarProcess hangar;
    static Path socket;
    static ObjectNode properties;
    /** Every instance this test saw, to check that none of them is left anywhere. */
    static final Set<String> seen = new LinkedHashSet<>();

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null,
                "end-to-end tests make bridges: run them through ./test, which gives them a network namespace");
        images = new ImageServer();
        Path image = TestImages.directBoot();
        String url = images.serve("/images/direct-boot.tar.gz", image);
        properties = Json.MAPPER.createObjectNode().put("MemorySizeMBs", 256).put("NumCPUs", 1);
        properties.putObject("image").put("url", url).put("checksum", TestImages.sha256(image)).put("checksum_type", "sha256");
        properties.putObject("Tags").put("env", "e2e");
        // Where later InfraKit looks for a plugin named hangar: a socket of that name in its plugins folder.
        socket = data.resolve("infrakit").resolve("plugins").resolve("hangar");
        // Bridges of its own, clear of the other suites' (same namespace).
        hangar = new HangarProcess(data.resolve("hangar"), "--delete-grace", "1", "--max-image-size", "200mib",
                "--infrakit-socket", socket.toString(), "--nat-bridge", "hgi0", "--nat-subnet", "10.219.0.0/24",
                "--hostonly-bridge", "hgi1", "--hostonly-subnet", "10.220.0.0/24").start();
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(socket) && System.nanoTime() < until) Thread.sleep(50);
    }

    @AfterAll
    static void stop() throws Exception {
        if (hangar != null) {
            for (JsonNode vm : getJson("/vms")) {
                http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms/" + vm.get("id").textValue())).DELETE().build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            System.out.println("---- service log ----\n" + hangar.log());
            hangar.close();
            Processes.endDaemons(hangar.dataDir());
            assertFalse(Files.exists(socket), "the service removed its socket when it stopped");
        }
        if (images != null) images.close();
    }

    @Test
    @Order(1)
    void aGroupOfThreeComesUpThroughThe2016Form() throws Exception {
        Plugin2016 plugin = new Plugin2016(socket);
        Answer valid = plugin.client.post("/Instance.Validate", properties.toString());
        assertEquals(200, valid.status(), valid.body());
        Answer invalid = plugin.client.post("/Instance.Validate", properties.deepCopy().put("NumCPUs", "one").toString());
        assertEquals(400, invalid.status());
        assertTrue(invalid.json().get("error").textValue().contains("NumCPUs"), invalid.body());

        converge(plugin, 3);
        List<String> members = plugin.describe(groupTags());
        assertEquals(3, members.size(), "describe shows the group: " + members);
        for (String id : members) awaitRunning(id);
        JsonNode vm = getJson("/vms/" + members.getFirst());
        assertEquals("e2e", vm.get("tags").get("env").textValue(), "the Properties' tags are on the VM: " + vm);
        assertEquals(GROUP, vm.get("tags").get("infrakit.group").textValue());
        assertEquals(1, vm.get("cpus").intValue());
        assertEquals("256mib", vm.get("memory").textValue());
    }

    @Test
    @Order(2)
    void aMemberKilledOutsideHangarDisappearsAndIsReplaced() throws Exception {
        JsonRpcPlugin plugin = new JsonRpcPlugin(socket);
        JsonNode hello = plugin.call("Handshake.Hello", Json.MAPPER.createObjectNode());
        assertTrue(hello.get("Objects").has("Instance/0.6.1"), hello.toString());
        List<String> before = plugin.describe(groupTags());
        assertEquals(3, before.size(), before.toString());

        String victim = before.getFirst();
        long pid = Processes.qemuOf(victim).orElseThrow(() -> new AssertionError("no QEMU for " + victim));
        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // as an operator's kill -9 would
        List<String> after = awaitDescribed(plugin, ids -> !ids.contains(victim), Duration.ofSeconds(30));
        assertEquals(2, after.size(), "the dead member is no longer described: " + after);

        converge(plugin, 3);
        List<String> replaced = plugin.describe(groupTags());
        assertEquals(3, replaced.size(), replaced.toString());
        assertFalse(replaced.contains(victim));
        assertTrue(replaced.containsAll(after));
        for (String id : replaced) awaitRunning(id);
        awaitGone(victim); // removed in the background: record, directory and all
    }

    @Test
    @Order(3)
    void theGroupScalesFromThreeToOneAndToTwo() throws Exception {
        JsonRpcPlugin plugin = new JsonRpcPlugin(socket);
        List<String> three = plugin.describe(groupTags());
        converge(plugin, 1);
        List<String> one = plugin.describe(groupTags());
        assertEquals(1, one.size(), one.toString());
        for (String id : three) if (!one.contains(id)) assertDestroyed(id);

        // Up again, this member with a logical ID, as a group of pets would have.
        ObjectNode spec = spec("infrakit.config.hash");
        spec.put("LogicalID", "worker-2");
        String pet = plugin.provision(spec);
        seen.add(pet);
        List<String> two = plugin.describe(groupTags());
        assertEquals(2, two.size(), two.toString());
        JsonNode described = plugin.call("Instance.DescribeInstances", Json.MAPPER.createObjectNode().put("Type", "")
                .put("Properties", true).set("Tags", Json.MAPPER.valueToTree(groupTags())));
        JsonNode petDescription = null;
        for (JsonNode d : described.get("Descriptions")) if (d.get("ID").textValue().equals(pet)) petDescription = d;
        assertTrue(petDescription != null, described.toString());
        assertEquals("worker-2", petDescription.get("LogicalID").textValue());
        assertEquals("worker-2", petDescription.get("Properties").get("name").textValue(), "the VM as /vms shows it");
        awaitRunning(pet);

        plugin.call("Instance.Label", Json.MAPPER.createObjectNode().put("Type", "").put("Instance", pet)
                .set("Labels", Json.MAPPER.createObjectNode().put("role", "pet")));
        assertEquals("pet", getJson("/vms/" + pet).get("tags").get("role").textValue());
        assertEquals(GROUP, getJson("/vms/" + pet).get("tags").get("infrakit.group").textValue(), "labels are merged in");
    }

    @Test
    @Order(4)
    void destroyingEveryMemberLeavesNothing() throws Exception {
        JsonRpcPlugin later = new JsonRpcPlugin(socket);
        Plugin2016 old = new Plugin2016(socket);
        List<String> members = later.describe(groupTags());
        assertEquals(2, members.size(), members.toString());
        old.destroy(members.get(0));
        later.destroy(members.get(1));
        assertEquals(List.of(), later.describe(groupTags()));
        assertEquals(List.of(), old.describe(groupTags()));

        Answer unknown = old.client.post("/Instance.Destroy/" + members.get(0), null);
        assertEquals(400, unknown.status());
        assertTrue(unknown.json().get("error").textValue().startsWith("vm-not-found: "), unknown.body());

        JsonNode records = getJson("/vms?tag=" + URLEncoder.encode("infrakit.group=" + GROUP, StandardCharsets.UTF_8));
        assertEquals(0, records.size(), "no VM records: " + records);
        for (String id : seen) assertDestroyed(id);
        assertTrue(seen.size() >= 5, "three, a replacement and the pet: " + seen);
    }

    // ---- a group plugin, reduced to what it asks of an instance plugin ---------------------------

    /** What the group plugins of both eras ask of an instance plugin. */
    interface InstancePlugin {
        String provision(ObjectNode spec) throws IOException;

        void destroy(String id) throws IOException;

        List<String> describe(Map<String, String> tags) throws IOException;

        /** The config hash's tag in this era. */
        String hashTag();
    }

    /** Provisions or destroys until DescribeInstances shows the size, as the group plugin's loop does. */
    private static void converge(InstancePlugin plugin, int size) throws IOException {
        List<String> members = plugin.describe(groupTags());
        for (int i = members.size(); i < size; i++) seen.add(plugin.provision(spec(plugin.hashTag())));
        for (int i = members.size() - 1; i >= size; i--) plugin.destroy(members.get(i));
        assertEquals(size, plugin.describe(groupTags()).size());
    }

    static final class Plugin2016 implements InstancePlugin {
        final UnixHttpClient client;

        Plugin2016(Path socket) {
            client = new UnixHttpClient(socket);
        }

        @Override
        public String provision(ObjectNode spec) throws IOException {
            Answer a = client.post("/Instance.Provision", spec.toString());
            assertEquals(200, a.status(), a.body());
            return a.json().get("ID").textValue();
        }

        @Override
        public void destroy(String id) throws IOException {
            Answer a = client.post("/Instance.Destroy/" + id, null);
            assertEquals(200, a.status(), a.body());
        }

        @Override
        public List<String> describe(Map<String, String> tags) throws IOException {
            Answer a = client.post("/Instance.DescribeInstances", Json.MAPPER.writeValueAsString(tags));
            assertEquals(200, a.status(), a.body());
            List<String> ids = new ArrayList<>();
            for (JsonNode d : a.json()) {
                assertTrue(d.has("LogicalID") && d.has("Tags"), d.toString());
                ids.add(d.get("ID").textValue());
            }
            return ids;
        }

        @Override
        public String hashTag() {
            return "infrakit.config_sha";
        }
    }

    static final class JsonRpcPlugin implements InstancePlugin {
        final UnixHttpClient client;
        private int nextId = 1;

        JsonRpcPlugin(Path socket) {
            client = new UnixHttpClient(socket);
        }

        JsonNode call(String method, JsonNode params) throws IOException {
            ObjectNode request = Json.MAPPER.createObjectNode().put("jsonrpc", "2.0").put("method", method);
            request.set("params", params);
            request.put("id", nextId++);
            Answer a = client.send("POST", "/", "application/json", request.toString());
            assertEquals(200, a.status(), a.body());
            JsonNode reply = a.json();
            assertFalse(reply.has("error") && !reply.get("error").isNull(), method + ": " + a.body());
            return reply.get("result");
        }

        @Override
        public String provision(ObjectNode spec) throws IOException {
            ObjectNode params = Json.MAPPER.createObjectNode().put("Type", "");
            params.set("Spec", spec);
            return call("Instance.Provision", params).get("ID").textValue();
        }

        @Override
        public void destroy(String id) throws IOException {
            ObjectNode params = Json.MAPPER.createObjectNode().put("Type", "").put("Instance", id);
            params.putObject("Context").put("Reason", "terminate");
            assertTrue(call("Instance.Destroy", params).get("OK").booleanValue());
        }

        @Override
        public List<String> describe(Map<String, String> tags) throws IOException {
            ObjectNode params = Json.MAPPER.createObjectNode().put("Type", "").put("Properties", false);
            params.set("Tags", Json.MAPPER.valueToTree(tags));
            List<String> ids = new ArrayList<>();
            for (JsonNode d : call("Instance.DescribeInstances", params).get("Descriptions")) ids.add(d.get("ID").textValue());
            return ids;
        }

        @Override
        public String hashTag() {
            return "infrakit.config.hash";
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Map<String, String> groupTags() {
        return Map.of("infrakit.group", GROUP);
    }

    private static ObjectNode spec(String hashTag) {
        ObjectNode spec = Json.MAPPER.createObjectNode();
        spec.set("Properties", properties);
        spec.putObject("Tags").put("infrakit.group", GROUP).put(hashTag, "e2e-config-1");
        spec.put("Init", "");
        spec.putNull("LogicalID");
        spec.putNull("Attachments");
        return spec;
    }

    private static List<String> awaitDescribed(InstancePlugin plugin, java.util.function.Predicate<List<String>> condition,
                                               Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        List<String> ids = plugin.describe(groupTags());
        while (!condition.test(ids) && System.nanoTime() < until) {
            Thread.sleep(250);
            ids = plugin.describe(groupTags());
        }
        assertTrue(condition.test(ids), "describe within " + timeout + ": " + ids);
        return ids;
    }

    /** Powered on, with its QEMU running. */
    private static void awaitRunning(String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode vm = getJson("/vms/" + id);
        while (System.nanoTime() < until) {
            vm = getJson("/vms/" + id);
            if (vm.get("status").textValue().equals("powered-on") && Processes.qemuOf(id).isPresent()) return;
            assertNotEquals("error", vm.get("status").textValue(), vm.toString());
            Thread.sleep(250);
        }
        throw new AssertionError("VM " + id + " is not running within 90 s: " + vm);
    }

    private static void awaitGone(String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (status("/vms/" + id) != 404 && System.nanoTime() < until) Thread.sleep(250);
        assertDestroyed(id);
    }

    /** Nothing of the VM is left: no record, no directory, no QEMU. */
    private static void assertDestroyed(String id) throws Exception {
        assertEquals(404, status("/vms/" + id), "no record of " + id);
        assertFalse(Files.exists(hangar.dataDir().resolve("vms").resolve(id)), "no directory of " + id);
        assertTrue(Processes.qemuOf(id).isEmpty(), "no QEMU of " + id);
    }

    private static int status(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(hangar.base() + path)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return Json.MAPPER.readTree(r.body());
    }
}
