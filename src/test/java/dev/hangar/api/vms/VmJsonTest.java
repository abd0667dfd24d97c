package dev.hangar.api.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.core.ChecksumType;
import dev.hangar.core.HangarException;
import dev.hangar.core.NetworkType;
import dev.hangar.core.Vm;
import dev.hangar.core.VmRequest;
import dev.hangar.core.VmStatus;
import java.time.Instant;
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
        assertEquals(NetworkType.NAT, r.networkType());
        assertEquals(ChecksumType.SHA1, r.image().checksumType());
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
        assertEquals(NetworkType.NAT, r.networkType());
        assertEquals(0, r.toolsInitTimeoutSeconds());
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
    }

    private static Vm vm(Vm.Dialect dialect) throws Exception {
        VmRequest r = parse("{" + IMAGE + "}");
        return new Vm(UUID.randomUUID(), null, r.image(), 2, 1536, NetworkType.NAT, false, 0, null, dialect,
                "52:54:00:00:00:01", VmStatus.CREATING, "", "", null, null, Instant.now(), null, null);
    }
}
