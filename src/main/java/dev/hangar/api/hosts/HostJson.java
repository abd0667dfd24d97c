package dev.hangar.api.hosts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmStatus;
import java.util.List;

/**
 * The staging agent's JSON: a host is {@code {"id", "name", "state"}} in libvirt's words (running,
 * shut off, paused; "crashed" for a host whose creation failed, with its error), id "-" when it does
 * not run; Hangar adds its memory, disks, networks and address. A network is
 * {@code {"name", "state", "autostart", "persistent"}}, plus its bridge and VLAN.
 */
final class HostJson {
    private HostJson() {}

    /**
     * A host's body. {@code memory} (MB), {@code disks} (GB) and {@code networks} are required;
     * {@code install} is required by the later API ({@code installRequired}) and optional in the
     * seed's, where a host without it (and without {@code image}) starts blank, like a physical
     * machine waiting for PXE.
     */
    static VmRequest parseCreate(String name, JsonNode body, boolean installRequired) {
        VmRequest.Builder r = VmRequest.builder().name(name).origin(Vm.Origin.HOSTS).dialect(Vm.Dialect.MIB);
        Integer memory = Fields.optionalInt(body, "memory", "invalid-memory");
        if (memory == null) throw HangarException.invalid("missing-memory", "memory (in MB) is required");
        r.memoryMib(MemorySize.checkedRange(memory));
        List<Long> disks = Fields.optionalLongs(body, "disks", "invalid-disks");
        if (disks == null) throw HangarException.invalid("missing-disks", "disks (a list of sizes in GB) is required");
        r.disks(disks.stream().map(BlankDisk::new).toList());
        List<String> networks = Fields.optionalStrings(body, "networks", "invalid-networks");
        if (networks == null) throw HangarException.invalid("missing-networks", "networks (a list of network names) is required");
        r.networks(networks);
        r.cpus(Fields.optionalInt(body, "cpus", "invalid-cpus"));
        Fields.optionalBoolean(body, "console", "invalid-console"); // every console is logged; the flag changes nothing
        r.tags(Fields.optionalTags(body, "tags", "invalid-tags"));

        Boolean install = Fields.optionalBoolean(body, "install", "invalid-install");
        String location = Fields.optionalString(body, "location", "invalid-location");
        String cmdline = Fields.optionalString(body, "cmdline", "invalid-cmdline");
        JsonNode image = body.get("image");
        if (install == null && installRequired) throw HangarException.invalid("missing-install", "install (true or false) is required");
        if (Boolean.TRUE.equals(install)) {
            if (location == null) throw HangarException.invalid("missing-location", "install needs location, the URL of an install tree");
            if (Fields.present(image)) throw HangarException.invalid("invalid-image", "send install or image, not both");
            r.boot(new BootSource.NetworkInstall(location, cmdline));
        } else if (Fields.present(image)) {
            r.image(Fields.image(image));
        }
        return r.build().validated();
    }

    static ObjectNode render(Vm vm, int number) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        String state = state(vm.status());
        o.put("id", state.equals("running") || state.equals("paused") ? String.valueOf(number) : "-");
        o.put("name", vm.name());
        o.put("state", state);
        o.put("uuid", vm.id().toString());
        o.put("memory", vm.memoryMib());
        o.put("cpus", vm.cpus());
        var disks = o.putArray("disks");
        vm.disks().forEach(d -> disks.add(d.sizeGib()));
        var networks = o.putArray("networks");
        vm.nics().stream().map(Nic::network).forEach(networks::add);
        o.put("ip_address", vm.ipAddress());
        if (vm.error() != null) o.set("error", Json.MAPPER.valueToTree(ApiServer.error(vm.error().code(), vm.error().message())));
        return o;
    }

    /**
     * libvirt's words. A host being created reads running: the real client waits for "shut off" to
     * know an install finished, so nothing before the installer's power-off may read so.
     */
    static String state(VmStatus status) {
        return switch (status) {
            case CREATING, POWERED_ON, DELETING -> "running";
            case SUSPENDED -> "paused";
            case POWERED_OFF -> "shut off";
            case ERROR -> "crashed";
        };
    }

    static ObjectNode render(Network n) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", n.name());
        o.put("state", "active");
        o.put("autostart", true);
        o.put("persistent", true);
        o.put("bridge", n.bridge());
        if (n.vlan() != null) o.put("vlan", n.vlan());
        else o.putNull("vlan");
        if (n.subnet() != null) o.put("subnet", n.subnet().cidr());
        return o;
    }
}
