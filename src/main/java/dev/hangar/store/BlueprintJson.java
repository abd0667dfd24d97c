package dev.hangar.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.vms.VmBlueprint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** VM settings (templates' and groups' own) as a JSON column; the boot source as the vms table keeps it. */
final class BlueprintJson {
    private static final ObjectMapper JSON = JsonColumns.JSON;

    private BlueprintJson() {}

    static String write(VmBlueprint b) {
        ObjectNode o = JSON.createObjectNode();
        o.set("boot", VmRepository.bootJson(b.boot()));
        if (b.cpus() != null) o.put("cpus", b.cpus());
        if (b.memoryMib() != null) o.put("memory_mib", b.memoryMib());
        o.set("disks", JSON.valueToTree(b.disks().stream().map(BlankDisk::sizeGib).toList()));
        o.set("networks", JSON.valueToTree(b.networks()));
        o.set("tags", JSON.valueToTree(b.tags()));
        if (b.userData() != null) o.put("user_data", b.userData());
        o.put("gui", b.gui());
        if (b.warm() != null) o.putObject("warm").put("enabled", b.warm().enabled()).put("pool", b.warm().pool());
        return o.toString();
    }

    static VmBlueprint read(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            List<BlankDisk> disks = new ArrayList<>();
            o.path("disks").forEach(d -> disks.add(new BlankDisk(d.asLong())));
            List<String> networks = new ArrayList<>();
            o.path("networks").forEach(n -> networks.add(n.asText()));
            Map<String, String> tags = new LinkedHashMap<>();
            o.path("tags").properties().forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
            return new VmBlueprint(VmRepository.boot(o.path("boot")), o.has("cpus") ? o.get("cpus").asInt() : null,
                    o.has("memory_mib") ? o.get("memory_mib").asLong() : null, disks, networks, tags,
                    o.has("user_data") ? o.get("user_data").asText() : null, o.path("gui").asBoolean(),
                    o.has("warm") ? new WarmTemplates.Settings(o.path("warm").path("enabled").asBoolean(), o.path("warm").path("pool").asInt()) : null);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable settings column: " + e.getOriginalMessage(), e);
        }
    }
}
