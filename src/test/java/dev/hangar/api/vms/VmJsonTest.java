package dev.hangar.api.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class VmJsonTest {
    private static final String IMAGE = """
            "image": {"url": "https://example.test/box.tar.gz",
                      "checksum": "5cf00d380e28d02f30efaceafef7c7c8bdedae33", "checksum_type": "sha1"}""";

    private static VmRequest parse(String json) throws Exception {
        return VmJson.parseCreate(Json.MAPPER.readTree(json));
    }

    private static String codeOf(String json) {
        return assertThrows(HangarException.class, () -> parse(json)).code();
    }

    @Test
    void readsTheBodyOfDocument000() throws Exception {
        VmRequest r = parse("{\"cpus\": 2, \"memory\": \"1gib\", \"network_type\": \"nat\", " + IMAGE
                + ", \"launch_gui\": true, \"callback_url\": \"http://foo.test/myscript\"}");
        assertEquals(2, r.cpus());
        assertEquals(1024L, r.memoryMib());
        assertEquals(List.of("nat"), r.networks());
        assertEquals(ChecksumType.SHA1, ((BootSource.Image) r.boot()).image().checksumType());
        assertTrue(r.gui());
        assertEquals("http://foo.test/myscript", r.callbackUrl());
        assertEquals(Vm.Dialect.IEC, r.dialect());
    }

    @Test
    void readsTheBodyOfDocument001() throws Exception {
        VmRequest r = parse("{\"cpus\": 2, \"memory\": 1024, \"network_type\": \"nat\", " + IMAGE + ", \"headless\": true}");
        assertEquals(1024L, r.memoryMib());
        assertFalse(r.gui());
        assertEquals(Vm.Dialect.MIB, r.dialect());
    }

    @Test
    void leavesOutWhatIsNotGivenSoTheImageCanDecide() throws Exception {
        VmRequest r = parse("{" + IMAGE + "}");
        assertNull(r.cpus());
        assertNull(r.memoryMib());
        assertEquals(List.of("nat"), r.networks());
        assertEquals(0, r.toolsInitTimeoutSeconds());
    }

    @Test
    void takesHangarsExtensionsNameNetworksDisksAndTags() throws Exception {
        VmRequest r = parse("{" + IMAGE + ", \"name\": \"Web-1.example.test\", \"networks\": [\"nat\", \"vlan:292\"],"
                + " \"disks\": [8, 100], \"tags\": {\"role\": \"web\"}}");
        assertEquals("Web-1.example.test", r.name());
        assertEquals(List.of("nat", "vlan:292"), r.networks());
        assertEquals(List.of(8L, 100L), r.disks().stream().map(d -> d.sizeGib()).toList());
        assertEquals(Map.of("role", "web"), r.tags());
    }

    @Test
    void givesOneCodePerProblemOfTheExtensions() {
        assertEquals("invalid-name", codeOf("{" + IMAGE + ", \"name\": \"a;rm -rf /\"}"));
        assertEquals("invalid-name", codeOf("{" + IMAGE + ", \"name\": \"$(reboot)\"}"));
        assertEquals("invalid-name", codeOf("{" + IMAGE + ", \"name\": 7}"));
        assertEquals("invalid-networks", codeOf("{" + IMAGE + ", \"networks\": \"nat\"}"));
        assertEquals("invalid-networks", codeOf("{" + IMAGE + ", \"networks\": []}"));
        assertEquals("invalid-networks", codeOf("{" + IMAGE + ", \"networks\": [\"nat\"], \"network_type\": \"nat\"}"));
        assertEquals("invalid-network-name", codeOf("{" + IMAGE + ", \"networks\": [\"a b\"]}"));
        assertEquals("invalid-disks", codeOf("{" + IMAGE + ", \"disks\": [0]}"));
        assertEquals("invalid-disks", codeOf("{" + IMAGE + ", \"disks\": [\"8\"]}"));
        assertEquals("invalid-tags", codeOf("{" + IMAGE + ", \"tags\": {\"a\": 1}}"));
        assertEquals("invalid-memory", codeOf("{" + IMAGE + ", \"memory\": \"99999999999999999999gib\"}"));
        assertEquals("invalid-memory", codeOf("{" + IMAGE + ", \"memory\": 99999999999999999999}"));
    }

    @Test
    void givesOneCodePerProblem() {
        assertEquals("missing-image", codeOf("{\"cpus\": 1}"));
        assertEquals("invalid-cpus", codeOf("{\"cpus\": 0, " + IMAGE + "}"));
        assertEquals("invalid-cpus", codeOf("{\"cpus\": \"two\", " + IMAGE + "}"));
        assertEquals("invalid-cpus", codeOf("{\"cpus\": 1.5, " + IMAGE + "}"));
        assertEquals("invalid-memory", codeOf("{\"memory\": \"1gb\", " + IMAGE + "}"));
        assertEquals("invalid-memory", codeOf("{\"memory\": true, " + IMAGE + "}"));
        assertEquals("invalid-network-type", codeOf("{\"network_type\": \"wifi\", " + IMAGE + "}"));
        assertEquals("invalid-tools-init-timeout", codeOf("{\"tools_init_timeout\": -1, " + IMAGE + "}"));
        assertEquals("invalid-launch-gui", codeOf("{\"launch_gui\": \"yes\", " + IMAGE + "}"));
        assertEquals("invalid-display", codeOf("{\"launch_gui\": true, \"headless\": true, " + IMAGE + "}"));
        assertEquals("invalid-callback-url", codeOf("{\"callback_url\": \"ftp://x\", " + IMAGE + "}"));
        assertEquals("invalid-checksum-type", codeOf(
                "{\"image\": {\"url\": \"http://x.test/a\", \"checksum\": \"00\", \"checksum_type\": \"crc32\"}}"));
        assertEquals("invalid-checksum", codeOf(
                "{\"image\": {\"url\": \"http://x.test/a\", \"checksum\": \"abc\", \"checksum_type\": \"sha1\"}}"));
        assertEquals("invalid-image-url", codeOf(
                "{\"image\": {\"url\": \"file:///etc/passwd\", \"checksum\": \"5cf00d380e28d02f30efaceafef7c7c8bdedae33\", \"checksum_type\": \"sha1\"}}"));
        assertEquals("missing-image-url", codeOf(
                "{\"image\": {\"checksum\": \"5cf00d380e28d02f30efaceafef7c7c8bdedae33\", \"checksum_type\": \"sha1\"}}"));
    }

    @Test
    void answersInTheFormTheClientUsed() throws Exception {
        Vm iec = vm(Vm.Dialect.IEC);
        ObjectNode o = VmJson.render(iec);
        assertEquals("1536mib", o.get("memory").textValue());
        Vm mib = vm(Vm.Dialect.MIB);
        assertEquals(1536, VmJson.render(mib).get("memory").intValue());
    }

    @Test
    void carriesEveryFieldOfTheSeedsAnswer() throws Exception {
        JsonNode o = VmJson.render(vm(Vm.Dialect.IEC));
        for (String field : new String[] {"id", "image", "cpus", "memory", "network_type", "tools_init_timeout",
                "launch_gui", "headless", "ip_address", "status", "guest_os"}) {
            assertTrue(o.has(field), field);
        }
        assertEquals("creating", o.get("status").textValue());
        assertEquals("", o.get("ip_address").textValue());
        assertEquals("sha1", o.get("image").get("checksum_type").textValue());
        assertEquals("nat", o.get("network_type").textValue());
        assertEquals("nat", o.get("networks").get(0).textValue());
    }

    private static Vm vm(Vm.Dialect dialect) throws Exception {
        VmRequest r = parse("{" + IMAGE + "}");
        return Vm.builder().id(UUID.randomUUID()).boot(r.boot()).cpus(2).memoryMib(1536).dialect(dialect)
                .nics(List.of(new Nic("nat", "52:54:00:00:00:01"))).status(VmStatus.CREATING).createdAt(Instant.now()).build();
    }
}
