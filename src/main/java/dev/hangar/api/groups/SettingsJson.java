package dev.hangar.api.groups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.vms.VmBlueprint;
import java.util.List;

/**
 * VM settings as templates and groups take them: the fields of a {@code /vms} body that shape a VM
 * ({@code image}, {@code cpus}, {@code memory}, {@code disks}, {@code networks}, {@code tags},
 * {@code user_data}, {@code launch_gui}), with the same codes for the same mistakes; and {@code warm}.
 */
final class SettingsJson {
    private SettingsJson() {}

    static VmBlueprint parse(JsonNode body) {
        if (!body.isObject()) throw HangarException.invalid("invalid-settings", "settings must be an object");
        JsonNode image = body.get("image");
        if (!Fields.present(image)) throw HangarException.invalid("missing-image", "image is required: {url, checksum, checksum_type} or {library}");
        BootSource boot = Fields.bootImage(image);
        Integer cpus = Fields.optionalInt(body, "cpus", "invalid-cpus");
        Long memory = Fields.optionalMemoryMib(body, "memory");
        List<Long> disks = Fields.optionalLongs(body, "disks", "invalid-disks");
        Boolean gui = Fields.optionalBoolean(body, "launch_gui", "invalid-launch-gui");
        return new VmBlueprint(boot, cpus, memory, disks == null ? null : disks.stream().map(BlankDisk::new).toList(),
                Fields.optionalStrings(body, "networks", "invalid-networks"), Fields.optionalTags(body, "tags", "invalid-tags"),
                Fields.optionalString(body, "user_data", "invalid-user-data"), gui != null && gui, warm(body.get("warm"))).validated();
    }

    /** {@code "warm": {"enabled": true, "pool": N}}, as PUT /images/KEY/warm takes it; null when absent. */
    private static WarmTemplates.Settings warm(JsonNode warm) {
        if (!Fields.present(warm)) return null;
        if (!warm.isObject()) throw HangarException.invalid("invalid-warm", "warm must be an object: {\"enabled\": true, \"pool\": 0}");
        Boolean enabled = Fields.optionalBoolean(warm, "enabled", "invalid-warm");
        Integer pool = Fields.optionalInt(warm, "pool", "invalid-pool");
        if (enabled == null) throw HangarException.invalid("invalid-warm", "warm.enabled (true or false) is required");
        if (pool != null && (pool < 0 || pool > WarmTemplates.Settings.MAX_POOL)) {
            throw HangarException.invalid("invalid-pool", "warm.pool must be from 0 to " + WarmTemplates.Settings.MAX_POOL);
        }
        return new WarmTemplates.Settings(enabled, pool == null ? 0 : pool);
    }

    static void render(VmBlueprint b, ObjectNode o) {
        switch (b.boot()) {
            case BootSource.Image i -> o.putObject("image").put("url", RedactedUrl.of(i.image().url())).put("checksum", i.image().checksum())
                    .put("checksum_type", i.image().checksumType().wireName());
            case BootSource.Library l -> o.putObject("image").put("library", l.name());
            default -> o.putNull("image");
        }
        if (b.cpus() != null) o.put("cpus", b.cpus());
        if (b.memoryMib() != null) o.put("memory", MemorySize.format(b.memoryMib()));
        var disks = o.putArray("disks");
        b.disks().forEach(d -> disks.add(d.sizeGib()));
        var networks = o.putArray("networks");
        b.networks().forEach(networks::add);
        o.set("tags", Json.MAPPER.valueToTree(b.tags()));
        // Never the user-data itself: it often carries secrets, and its owner has it.
        o.put("user_data_set", b.userData() != null);
        o.put("launch_gui", b.gui());
        if (b.warm() != null) o.putObject("warm").put("enabled", b.warm().enabled()).put("pool", b.warm().pool());
    }
}
