package dev.hangar.api.infrakit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.core.InMemoryCore;
import dev.hangar.core.groups.PluginInstances;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmStatus;
import dev.hangar.testing.UnixHttpClient.Answer;
import dev.hangar.testing.UnixHttpClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin on its real Unix socket, over a real VmService whose machines are in-memory stand-ins,
 * spoken to by a client written from the protocol's shapes: chunked bodies, no Content-Type in the
 * 2016 form, application/json in the JSON-RPC form.
 */
class InfrakitPluginTest {
    static final String PROPERTIES = """
            {"VMX": "alpine-3.4.4", "MemorySizeMBs": 512, "NumCPUs": 1, "LaunchGUI": true,
             "Tags": {"env": "dev", "clash": "from-properties"}}""";
    static final String IMAGE = "{\"url\": \"http://images.test/box.tar.gz\", \"checksum\": \"" + "ab".repeat(32)
            + "\", \"checksum_type\": \"sha256\"}";

    @TempDir
    Path dir;
    InMemoryCore core;
    PluginInstances instances;
    InfrakitFace face;
    ApiServer server;
    UnixHttpClient client;

    @BeforeEach
    void start() throws IOException {
        core = new InMemoryCore(dir.resolve("data"));
        instances = new PluginInstances(core.service, false);
        face = new InfrakitFace(instances);
        server = face.serve(dir.resolve("plugins").resolve("vmware-fusion"));
        client = new UnixHttpClient(server.socket());
    }

    @AfterEach
    void stop() {
        server.close();
        instances.close();
        core.close();
    }

    // ---- handshakes ------------------------------------------------------------------------------

    @Test
    void helloNamesTheInstanceInterfaceAndImplementsListsEveryVersion() throws Exception {
        JsonNode hello = rpcResult("Handshake.Hello", "{}");
        JsonNode objects = hello.get("Objects").get("Instance/0.6.1");
        assertEquals(".", objects.get(0).get("Name").textValue(), hello.toString());
        assertEquals("", objects.get(0).get("ProxyFor").textValue());

        JsonNode old = rpcResult("Plugin.Implements", "{}");
        assertEquals("Instance", old.get("APIs").get(0).get("Name").textValue());
        assertEquals("0.1.0", old.get("APIs").get(0).get("Version").textValue(), old.toString());
        List<String> versions = new ArrayList<>();
        rpcResult("Handshake.Implements", "{}").get("APIs").forEach(a -> versions.add(a.get("Version").textValue()));
        assertTrue(versions.containsAll(List.of("0.1.0", "0.3.0", "0.6.0", "0.6.1")), versions.toString());
    }

    // ---- Validate --------------------------------------------------------------------------------

    @Test
    void validateTakesThePropertiesOrAWholeSpecAndMakesNothing() throws Exception {
        Answer properties = client.post("/Instance.Validate", PROPERTIES);
        assertEquals(200, properties.status(), properties.body());
        assertEquals("", properties.body());
        // The 2016 CLI's `instance validate FILE` posts the whole file.
        Answer spec = client.post("/Instance.Validate", "{\"Properties\": " + PROPERTIES
                + ", \"Tags\": {\"infrakit.group\": \"g\"}, \"Init\": \"#!/bin/sh\\necho hi\", \"LogicalID\": null}");
        assertEquals(200, spec.status(), spec.body());

        Answer badSpec = client.post("/Instance.Validate", "{\"Properties\": " + PROPERTIES + ", \"LogicalID\": \"not a host\"}");
        assertEquals(400, badSpec.status());
        assertTrue(badSpec.json().get("error").textValue().startsWith("invalid-name: LogicalID \"not a host\""), badSpec.body());
        Answer badProps = client.post("/Instance.Validate", "{\"VMX\": \"alpine\", \"NumCPUs\": \"two\"}");
        assertEquals(400, badProps.status());
        assertTrue(badProps.json().get("error").textValue().startsWith("invalid-cpus: Properties.NumCPUs"), badProps.body());

        JsonNode ok = rpcResult("Instance.Validate", "{\"Type\": \"\", \"Properties\": " + PROPERTIES + "}");
        assertTrue(ok.get("OK").booleanValue());
        assertEquals("", ok.get("Type").textValue());
        JsonNode missing = rpcError("Instance.Validate", "{\"Type\": \"\", \"Properties\": {\"NumCPUs\": 2}}");
        assertEquals(-32000, missing.get("code").intValue());
        assertTrue(missing.get("message").textValue().startsWith("missing-image: "), missing.toString());
        assertTrue(core.service.list().isEmpty(), "validate makes nothing");
    }

    // ---- Provision -------------------------------------------------------------------------------

    @Test
    void provisionMapsTheSeedsPropertiesAndTheSpecToAVm() throws Exception {
        JsonNode result = rpcResult("Instance.Provision", "{\"Type\": \"\", \"Spec\": {\"Properties\": " + PROPERTIES
                + ", \"Tags\": {\"infrakit.group\": \"workers\", \"clash\": \"from-spec\"}, \"Init\": \"#!/bin/sh\\necho hi\","
                + " \"LogicalID\": \"Worker-1\", \"Attachments\": null}}");
        String id = result.get("ID").textValue();
        Vm vm = core.service.get(UUID.fromString(id));
        assertEquals(Vm.Origin.INFRAKIT, vm.origin());
        assertEquals(new BootSource.Library("alpine-3.4.4"), vm.boot());
        assertEquals(512L, vm.requestedMemoryMib());
        assertEquals(1, vm.requestedCpus());
        assertTrue(vm.gui());
        assertEquals("#!/bin/sh\necho hi", vm.userData());
        assertEquals("worker-1", vm.name(), "the LogicalID is the VM's name");
        assertEquals(Map.of("env", "dev", "clash", "from-spec", "infrakit.group", "workers", "infrakit.logical_id", "Worker-1"),
                vm.tags(), "the Spec's tags win over the Properties' tags");

        // Hangar's own properties, in the 2016 form.
        Answer created = client.post("/Instance.Provision", "{\"Properties\": {\"image\": " + IMAGE
                + ", \"networks\": [\"nat\", \"nat\"], \"disks\": [2, 8]}, \"Tags\": {\"infrakit.group\": \"g\"}, \"Init\": \"\", \"LogicalID\": null}");
        assertEquals(200, created.status(), created.body());
        Vm fromImage = core.service.get(UUID.fromString(created.json().get("ID").textValue()));
        assertEquals(new BootSource.Image(new ImageRef("http://images.test/box.tar.gz", "ab".repeat(32), ChecksumType.SHA256)), fromImage.boot());
        assertEquals(List.of("nat", "nat"), fromImage.nics().stream().map(Nic::network).toList());
        assertEquals(List.of(new BlankDisk(2), new BlankDisk(8)), fromImage.disks());
        assertNull(fromImage.userData(), "an empty Init makes no user-data");
        assertNull(fromImage.name());
    }

    @Test
    void aWrongTypedPropertyIsAProtocolErrorNamingIt() throws Exception {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("\"MemorySizeMBs\": \"lots\"", "invalid-memory: Properties.MemorySizeMBs"),
                Map.entry("\"NumCPUs\": 1.5", "invalid-cpus: Properties.NumCPUs"),
                Map.entry("\"LaunchGUI\": \"yes\"", "invalid-launch-gui: Properties.LaunchGUI"),
                Map.entry("\"Tags\": {\"a\": 1}", "invalid-tags: Properties.Tags"),
                Map.entry("\"networks\": \"nat\"", "invalid-networks: Properties.networks"),
                Map.entry("\"disks\": [\"big\"]", "invalid-disks: Properties.disks"),
                Map.entry("\"VMX\": 5, \"NumCPUs\": 1", "invalid-library-name: Properties.VMX"),
                Map.entry("\"VMX\": \"../etc\"", "invalid-library-name: "));
        for (var c : cases.entrySet()) {
            String props = c.getKey().startsWith("\"VMX\"") ? "{" + c.getKey() + "}" : "{\"VMX\": \"alpine\", " + c.getKey() + "}";
            Answer old = client.post("/Instance.Provision", "{\"Properties\": " + props + "}");
            assertEquals(400, old.status(), c.getKey() + ": " + old.body());
            assertTrue(old.json().get("error").textValue().startsWith(c.getValue()), c.getKey() + ": " + old.body());
            JsonNode error = rpcError("Instance.Provision", "{\"Spec\": {\"Properties\": " + props + "}}");
            assertEquals(-32000, error.get("code").intValue());
            assertTrue(error.get("message").textValue().startsWith(c.getValue()), c.getKey() + ": " + error);
        }
        for (String spec : List.of("{\"Properties\": {\"VMX\": \"a\"}, \"Init\": 5}", "{\"Properties\": {\"VMX\": \"a\"}, \"Tags\": [\"x\"]}",
                "{\"Properties\": {\"VMX\": \"a\"}, \"LogicalID\": 7}", "{\"Properties\": \"VMX\"}", "[1, 2]")) {
            Answer old = client.post("/Instance.Provision", spec);
            assertEquals(400, old.status(), spec + ": " + old.body());
            assertTrue(old.json().get("error").textValue().matches("invalid-[a-z-]+: .*"), spec + ": " + old.body());
        }
        assertTrue(core.service.list().isEmpty(), "nothing was made");
    }

    // ---- DescribeInstances -----------------------------------------------------------------------

    @Test
    void describeMatchesEveryTagAndShowsOnlyInstancesWithTheirLogicalIds() throws Exception {
        String webA = provision("{\"infrakit.group\": \"a\", \"role\": \"web\"}", null);
        String dbA = provision("{\"infrakit.group\": \"a\", \"role\": \"db\"}", "DB1");
        String webB = provision("{\"infrakit.group\": \"b\", \"role\": \"web\"}", null);
        // A VM of /vms with the same tags is no instance of the plugin.
        core.service.create(VmRequest.builder().image(new ImageRef("http://images.test/x", "ab".repeat(32), ChecksumType.SHA256))
                .tags(Map.of("infrakit.group", "a", "role", "web")).build());

        Answer groupA = client.post("/Instance.DescribeInstances", "{\"infrakit.group\": \"a\"}");
        assertEquals(200, groupA.status(), groupA.body());
        assertEquals(Set.of(webA, dbA), ids(groupA.json()));
        assertEquals(Set.of(webA), ids(client.post("/Instance.DescribeInstances", "{\"infrakit.group\": \"a\", \"role\": \"web\"}").json()),
                "every tag must match (AND)");
        assertEquals(Set.of(webA, dbA, webB), ids(client.post("/Instance.DescribeInstances", "{}").json()));
        assertEquals(Set.of(webA, dbA, webB), ids(client.post("/Instance.DescribeInstances", null).json()), "no body: no filter");
        JsonNode db = find(groupA.json(), dbA);
        assertEquals("DB1", db.get("LogicalID").textValue(), "the LogicalID as it was sent");
        assertTrue(find(groupA.json(), webA).get("LogicalID").isNull());
        assertEquals("db", db.get("Tags").get("role").textValue());
        assertFalse(db.has("Properties"), "the 2016 form has no properties");

        JsonNode described = rpcResult("Instance.DescribeInstances", "{\"Type\": \"\", \"Tags\": {\"role\": \"web\"}, \"Properties\": true}");
        assertEquals("", described.get("Type").textValue());
        assertEquals(Set.of(webA, webB), ids(described.get("Descriptions")));
        JsonNode props = find(described.get("Descriptions"), webA).get("Properties");
        assertEquals(webA, props.get("id").textValue(), "the VM as /vms shows it: " + props);
        assertTrue(props.has("status"), props.toString());
        assertFalse(find(rpcResult("Instance.DescribeInstances", "{\"Tags\": {\"role\": \"web\"}}").get("Descriptions"), webA).has("Properties"),
                "properties only when asked");
        assertTrue(rpcError("Instance.DescribeInstances", "{\"Tags\": {\"role\": 1}}").get("message").textValue().startsWith("invalid-tags: "));
    }

    @Test
    void anInstanceThatStoppedOrPausedIsNotDescribedAndIsRemoved() throws Exception {
        String stopped = provision("{\"infrakit.group\": \"g\"}", null);
        String paused = provision("{\"infrakit.group\": \"g\"}", null);
        String healthy = provision("{\"infrakit.group\": \"g\"}", null);
        for (String id : List.of(stopped, paused, healthy)) core.await(UUID.fromString(id), v -> v.status() == VmStatus.POWERED_ON);
        core.die(UUID.fromString(stopped));
        core.pause(UUID.fromString(paused));
        core.await(UUID.fromString(stopped), v -> v.status() == VmStatus.POWERED_OFF);
        core.await(UUID.fromString(paused), v -> v.status() == VmStatus.SUSPENDED);

        assertEquals(Set.of(healthy), ids(client.post("/Instance.DescribeInstances", "{\"infrakit.group\": \"g\"}").json()));
        awaitGone(stopped);
        awaitGone(paused);
        assertTrue(core.exists(UUID.fromString(healthy)));
    }

    @Test
    void withKeepFailedAStoppedInstanceIsNotDescribedButKept() throws Exception {
        PluginInstances kept = new PluginInstances(core.service, true);
        try (ApiServer other = new InfrakitFace(kept).serve(dir.resolve("keeping.sock"))) {
            String stopped = provision("{\"infrakit.group\": \"g\"}", null);
            core.await(UUID.fromString(stopped), v -> v.status() == VmStatus.POWERED_ON);
            core.die(UUID.fromString(stopped));
            core.await(UUID.fromString(stopped), v -> v.status() == VmStatus.POWERED_OFF);
            Answer described = new UnixHttpClient(other.socket()).post("/Instance.DescribeInstances", "{\"infrakit.group\": \"g\"}");
            assertEquals("[]", described.body());
            Thread.sleep(300);
            assertTrue(core.exists(UUID.fromString(stopped)), "kept for inspection");
        } finally {
            kept.close();
        }
    }

    // ---- Label and Destroy -----------------------------------------------------------------------

    @Test
    void labelMergesLabelsIntoTheTags() throws Exception {
        String id = provision("{\"infrakit.group\": \"g\", \"a\": \"1\", \"b\": \"2\"}", null);
        JsonNode ok = rpcResult("Instance.Label", "{\"Type\": \"\", \"Instance\": \"" + id + "\", \"Labels\": {\"b\": \"3\", \"c\": \"4\"}}");
        assertTrue(ok.get("OK").booleanValue());
        assertEquals(Map.of("infrakit.group", "g", "a", "1", "b", "3", "c", "4"), core.service.get(UUID.fromString(id)).tags());
        JsonNode unknown = rpcError("Instance.Label", "{\"Instance\": \"" + UUID.randomUUID() + "\", \"Labels\": {\"b\": \"3\"}}");
        assertTrue(unknown.get("message").textValue().startsWith("vm-not-found: "), unknown.toString());
    }

    @Test
    void destroyRemovesTheVmAndAnUnknownIdIsTheProtocolsErrorInBothForms() throws Exception {
        String old = provision("{\"infrakit.group\": \"g\"}", null);
        Answer destroyed = client.post("/Instance.Destroy/" + old, null);
        assertEquals(200, destroyed.status(), destroyed.body());
        assertFalse(core.exists(UUID.fromString(old)));
        Answer again = client.post("/Instance.Destroy/" + old, null);
        assertEquals(400, again.status());
        assertTrue(again.json().get("error").textValue().startsWith("vm-not-found: "), again.body());
        assertEquals(400, client.post("/Instance.Destroy/not-an-id", null).status());

        String id = provision("{\"infrakit.group\": \"g\"}", null);
        JsonNode ok = rpcResult("Instance.Destroy", "{\"Type\": \"\", \"Instance\": \"" + id + "\", \"Context\": {\"Reason\": \"terminate\"}}");
        assertTrue(ok.get("OK").booleanValue());
        assertFalse(core.exists(UUID.fromString(id)));
        JsonNode unknown = rpcError("Instance.Destroy", "{\"Instance\": \"" + id + "\"}");
        assertEquals(-32000, unknown.get("code").intValue());
        assertTrue(unknown.get("message").textValue().startsWith("vm-not-found: "), unknown.toString());

        // A VM of /vms is no instance: the plugin does not destroy it.
        Vm other = core.service.create(VmRequest.builder().image(new ImageRef("http://images.test/x", "ab".repeat(32), ChecksumType.SHA256)).build());
        assertEquals(400, client.post("/Instance.Destroy/" + other.id(), null).status());
        assertTrue(core.exists(other.id()));
    }

    // ---- what is not a call ----------------------------------------------------------------------

    @Test
    void wrongMethodsTypesBodiesAndNamesGetErrorsNever500() throws Exception {
        Answer get = client.send("GET", "/", null, null);
        assertEquals(405, get.status());
        assertTrue(get.json().get("error").textValue().startsWith("method-not-allowed: "), get.body());
        assertEquals(405, client.send("PUT", "/Instance.Provision", null, "{}").status());
        Answer text = client.send("POST", "/", "text/plain", "{\"jsonrpc\": \"2.0\", \"method\": \"Handshake.Hello\", \"params\": {}, \"id\": 1}");
        assertEquals(415, text.status());
        assertEquals(415, client.send("POST", "/Instance.Provision", "application/x-www-form-urlencoded", "a=b").status());
        assertEquals(200, client.send("POST", "/", "application/json; charset=utf-8",
                "{\"jsonrpc\": \"2.0\", \"method\": \"Handshake.Hello\", \"params\": {}, \"id\": 1}").status());
        assertEquals(200, client.post("/", "{\"jsonrpc\": \"2.0\", \"method\": \"Handshake.Hello\", \"params\": {}, \"id\": 1}").status(),
                "JSON-RPC without a Content-Type is JSON too");

        Answer broken = client.post("/Instance.Provision", "{\"Properties\": {");
        assertEquals(400, broken.status());
        assertTrue(broken.json().get("error").textValue().startsWith("invalid-json: "), broken.body());
        Answer brokenRpc = client.send("POST", "/", "application/json", "{\"jsonrpc\": \"2.0\", \"method\": ");
        assertEquals(200, brokenRpc.status());
        assertEquals(-32700, brokenRpc.json().get("error").get("code").intValue(), brokenRpc.body());
        assertTrue(brokenRpc.json().get("id").isNull());

        JsonNode unknown = rpc("Instance.Reboot", "{}").json();
        assertEquals(-32601, unknown.get("error").get("code").intValue(), unknown.toString());
        assertEquals(7, unknown.get("id").intValue(), "the call's id comes back");
        assertEquals(-32600, client.send("POST", "/", "application/json", "[{\"method\": \"Handshake.Hello\"}]").json().get("error").get("code").intValue());
        assertEquals(-32000, rpcError("Instance.Provision", "{\"Spec\": \"no\"}").get("code").intValue());
        assertEquals(404, client.post("/Flavor.Validate", "{}").status());
        Answer huge = client.post("/Instance.Provision", "{\"Properties\": \"" + "x".repeat(1 << 20) + "\"}");
        assertEquals(413, huge.status());
        assertTrue(huge.json().get("error").textValue().startsWith("body-too-large: "), huge.body());
    }

    @Test
    void requestsTheHttpLayerRefusesGetTheProtocolsErrorFormNotAnHtmlPage() throws Exception {
        // Found by the fuzz suite: Jetty answered these with its own HTML (or, for Accept: application/json, its own JSON).
        Map<String, Integer> refused = Map.of(
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", 400,
                "POST / HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", 417,
                "POST / HTTP/1.2\r\nHost: x\r\n\r\n", 505,
                "POST /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
        for (var request : refused.entrySet()) {
            String answer = raw(request.getKey());

            assertTrue(answer.startsWith("HTTP/1.1 " + request.getValue() + " "), answer);
            JsonNode body = Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
            assertTrue(body.path("error").isTextual(), answer);
        }
    }

    /** Bytes as they are over the socket; the answer up to the end of the connection (Jetty closes after a refusal). */
    private String raw(String request) throws IOException {
        try (var channel = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(server.socket()))) {
            channel.write(java.nio.ByteBuffer.wrap(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
            return new String(java.nio.channels.Channels.newInputStream(channel).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    // ---- the socket file -------------------------------------------------------------------------

    @Test
    void theSocketIsOwnerAndGroupOnlyAStaleOneIsReplacedAndItIsRemovedAtClose() throws Exception {
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(server.socket())));
        IOException live = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> face.serve(server.socket()));
        assertTrue(live.getMessage().contains("another process serves"), live.getMessage());

        // A socket left by a process that is gone: bound, then closed without removing the file.
        Path stale = dir.resolve("stale.sock");
        try (var channel = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            channel.bind(java.net.UnixDomainSocketAddress.of(stale));
        }
        assertTrue(java.nio.file.Files.exists(stale));
        try (ApiServer replaced = face.serve(stale)) {
            assertEquals(200, new UnixHttpClient(stale).post("/Instance.DescribeInstances", "{}").status());
        }
        assertFalse(java.nio.file.Files.exists(stale), "removed at close");

        Path regular = java.nio.file.Files.writeString(dir.resolve("plain-file"), "unix:///somewhere");
        IOException notASocket = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> face.serve(regular));
        assertTrue(notASocket.getMessage().contains(regular + " exists and is not a socket"), notASocket.getMessage());
        assertEquals("unix:///somewhere", java.nio.file.Files.readString(regular), "left as it was");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private String provision(String tags, String logicalId) throws IOException {
        Answer a = client.post("/Instance.Provision", "{\"Properties\": {\"image\": " + IMAGE + "}, \"Tags\": " + tags
                + ", \"LogicalID\": " + (logicalId == null ? "null" : "\"" + logicalId + "\"") + "}");
        assertEquals(200, a.status(), a.body());
        return a.json().get("ID").textValue();
    }

    private void awaitGone(String id) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (core.exists(UUID.fromString(id)) && System.nanoTime() < until) Thread.sleep(20);
        assertFalse(core.exists(UUID.fromString(id)), "VM " + id + " was removed");
    }

    private Answer rpc(String method, String params) throws IOException {
        return client.send("POST", "/", "application/json",
                "{\"jsonrpc\": \"2.0\", \"method\": \"" + method + "\", \"params\": " + params + ", \"id\": 7}");
    }

    private JsonNode rpcResult(String method, String params) throws IOException {
        Answer a = rpc(method, params);
        assertEquals(200, a.status(), a.body());
        JsonNode reply = a.json();
        assertEquals("2.0", reply.get("jsonrpc").textValue());
        assertTrue(reply.has("result"), method + ": " + a.body());
        return reply.get("result");
    }

    /** The JSON-RPC error object: answered with HTTP 200, as gorilla's json2 codec does. */
    private JsonNode rpcError(String method, String params) throws IOException {
        Answer a = rpc(method, params);
        assertEquals(200, a.status(), a.body());
        JsonNode error = a.json().get("error");
        assertTrue(error != null && error.isObject(), method + ": " + a.body());
        assertTrue(error.get("data").isNull());
        return error;
    }

    private static Set<String> ids(JsonNode descriptions) {
        assertTrue(descriptions.isArray(), descriptions.toString());
        return StreamSupport.stream(descriptions.spliterator(), false).map(d -> d.get("ID").textValue())
                .collect(java.util.stream.Collectors.toSet());
    }

    private static JsonNode find(JsonNode descriptions, String id) {
        return StreamSupport.stream(descriptions.spliterator(), false).filter(d -> d.get("ID").textValue().equals(id))
                .findFirst().orElseThrow(() -> new AssertionError(id + " not in " + descriptions));
    }
}
