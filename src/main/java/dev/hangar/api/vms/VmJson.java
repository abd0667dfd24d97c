package dev.hangar.api.vms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.NetworkType;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmStatus;
import java.util.List;

/**
 * The OS X Builder's JSON shapes, both versions of its document. Version 000 sends memory as an IEC
 * string and {@code launch_gui}; 001 sends an integer of MiB and {@code headless}. A VM answers in the
 * form its client used (see {@link Vm.Dialect}), and always carries both display fields.
 *
 * <p>Hangar's extensions: {@code name} (a unique host name), {@code networks} (network names, one NIC
 * each, instead of {@code network_type}), {@code disks} (extra blank disks, sizes in GiB) and
 * {@code tags}.
 */
public final class VmJson {
    private VmJson() {}

    static VmRequest parseCreate(JsonNode body) {
        JsonNode image = body.get("image");
        if (!Fields.present(image)) throw HangarException.invalid("missing-image", "image is required");
        VmRequest.Builder r = VmRequest.builder().boot(Fields.bootImage(image)).origin(Vm.Origin.VMS);

        JsonNode c = body.get("cpus");
        if (Fields.present(c)) {
            if (!c.canConvertToInt() || !c.isIntegralNumber()) throw HangarException.invalid("invalid-cpus", "cpus must be a whole number of at least 1");
            r.cpus(c.intValue());
        }

        Boolean launchGui = Fields.optionalBoolean(body, "launch_gui", "invalid-launch-gui");
        Boolean headless = Fields.optionalBoolean(body, "headless", "invalid-headless");
        if (launchGui != null && headless != null && launchGui.booleanValue() == headless.booleanValue()) {
            throw HangarException.invalid("invalid-display", "launch_gui and headless contradict each other; send one of them");
        }
        r.gui(launchGui != null ? launchGui : headless != null && !headless);

        Vm.Dialect dialect = headless != null && launchGui == null ? Vm.Dialect.MIB : Vm.Dialect.IEC;
        Long memory = Fields.optionalMemoryMib(body, "memory");
        if (memory != null) {
            r.memoryMib(memory);
            dialect = body.get("memory").isTextual() ? Vm.Dialect.IEC : Vm.Dialect.MIB;
        }
        r.dialect(dialect);

        String networkType = Fields.optionalString(body, "network_type", "invalid-network-type");
        List<String> networks = Fields.optionalStrings(body, "networks", "invalid-networks");
        if (networkType != null && networks != null) {
            throw HangarException.invalid("invalid-networks", "send network_type or networks, not both");
        }
        r.networks(networks != null ? networks : List.of(NetworkType.parse(networkType).wireName()));

        List<Long> disks = Fields.optionalLongs(body, "disks", "invalid-disks");
        if (disks != null) r.disks(disks.stream().map(BlankDisk::new).toList());

        Integer toolsTimeout = Fields.optionalInt(body, "tools_init_timeout", "invalid-tools-init-timeout");
        r.toolsInitTimeoutSeconds(toolsTimeout == null ? 0 : toolsTimeout); // its range is the core's to check
        r.callbackUrl(Fields.optionalString(body, "callback_url", "invalid-callback-url"));
        r.name(Fields.optionalString(body, "name", "invalid-name"));
        r.tags(Fields.optionalTags(body, "tags", "invalid-tags"));
        r.userData(Fields.optionalString(body, "user_data", "invalid-user-data"));
        r.networkConfig(Fields.optionalString(body, "network_config", "invalid-network-config"));
        return r.build().validated();
    }

    /** The VM as /vms shows it; other faces show it so too. */
    public static ObjectNode render(Vm vm) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", vm.id().toString());
        if (vm.name() != null) o.put("name", vm.name());
        switch (vm.boot()) {
            case BootSource.Image i -> {
                ObjectNode image = o.putObject("image");
                image.put("url", RedactedUrl.of(i.image().url())); // the record keeps its secrets; answers never show them
                image.put("checksum", i.image().checksum());
                image.put("checksum_type", i.image().checksumType().wireName());
            }
            case BootSource.Library l -> o.putObject("image").put("library", l.name());
            default -> o.putNull("image");
        }
        o.put("cpus", vm.cpus());
        if (vm.dialect() == Vm.Dialect.MIB) o.put("memory", vm.memoryMib());
        else o.put("memory", MemorySize.format(vm.memoryMib()));
        String first = vm.nics().isEmpty() ? Network.NAT : vm.nics().getFirst().network();
        o.put("network_type", first);
        var networks = o.putArray("networks");
        vm.nics().stream().map(Nic::network).forEach(networks::add);
        var disks = o.putArray("disks");
        vm.disks().forEach(d -> disks.add(d.sizeGib()));
        o.set("tags", Json.MAPPER.valueToTree(vm.tags()));
        o.put("tools_init_timeout", vm.toolsInitTimeoutSeconds());
        o.put("launch_gui", vm.gui());
        o.put("headless", !vm.gui());
        o.put("ip_address", vm.ipAddress());
        o.put("status", vm.status().wireName());
        o.put("guest_os", vm.guestOs());
        if (!vm.start().isEmpty()) o.put("start", vm.start()); // warm or cold, once the machine started
        // The user-data itself is not shown: it often carries secrets, and its owner has it.
        o.put("cloud_init", vm.hasCloudInit());
        if (vm.callbackUrl() != null) o.put("callback_url", RedactedUrl.of(vm.callbackUrl()));
        if (vm.vnc() != null) o.put("vnc", vm.vnc());
        if (vm.error() != null) o.set("error", Json.MAPPER.valueToTree(ApiServer.error(vm.error().code(), vm.error().message())));
        if (vm.createdAt() != null) o.put("created_at", vm.createdAt().toString()); // the CLI's age column
        return o;
    }

    /** What a failed creation's callback carries: the error object with the VM's id. */
    static ObjectNode renderFailure(Vm vm) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", vm.id().toString());
        o.put("status", VmStatus.ERROR.wireName());
        o.put("code", vm.error().code());
        o.put("message", vm.error().message());
        return o;
    }
}
