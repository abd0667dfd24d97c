package dev.hangar.api.vms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.core.ChecksumType;
import dev.hangar.core.HangarException;
import dev.hangar.core.ImageRef;
import dev.hangar.core.MemorySize;
import dev.hangar.core.NetworkType;
import dev.hangar.core.Vm;
import dev.hangar.core.VmRequest;

/**
 * The OS X Builder's JSON shapes, both versions of its document. Version 000 sends memory as an IEC
 * string and {@code launch_gui}; 001 sends an integer of MiB and {@code headless}. A VM answers in the
 * form its client used (see {@link Vm.Dialect}), and always carries both display fields.
 */
final class VmJson {
    private VmJson() {}

    static VmRequest parseCreate(JsonNode body) {
        JsonNode image = body.get("image");
        if (image == null || image.isNull()) throw HangarException.invalid("missing-image", "image is required");
        if (!image.isObject()) throw HangarException.invalid("invalid-image", "image must be an object with url, checksum and checksum_type");
        ImageRef ref = new ImageRef(text(image, "url", "invalid-image-url"), text(image, "checksum", "invalid-checksum"),
                ChecksumType.parse(text(image, "checksum_type", "invalid-checksum-type")));

        Integer cpus = null;
        JsonNode c = body.get("cpus");
        if (c != null && !c.isNull()) {
            if (!c.canConvertToInt() || !c.isIntegralNumber()) throw HangarException.invalid("invalid-cpus", "cpus must be a whole number of at least 1");
            cpus = c.intValue();
        }

        JsonNode launchGui = body.get("launch_gui");
        JsonNode headless = body.get("headless");
        checkBoolean(launchGui, "launch_gui");
        checkBoolean(headless, "headless");
        if (present(launchGui) && present(headless) && launchGui.booleanValue() == headless.booleanValue()) {
            throw HangarException.invalid("invalid-display", "launch_gui and headless contradict each other; send one of them");
        }
        boolean gui = present(launchGui) ? launchGui.booleanValue() : present(headless) && !headless.booleanValue();

        Long memory = null;
        Vm.Dialect dialect = present(headless) && !present(launchGui) ? Vm.Dialect.MIB : Vm.Dialect.IEC;
        JsonNode m = body.get("memory");
        if (present(m)) {
            if (m.isTextual()) {
                memory = MemorySize.parseMib(m.textValue());
                dialect = Vm.Dialect.IEC;
            } else if (m.isIntegralNumber()) {
                memory = MemorySize.checkedRange(m.longValue());
                dialect = Vm.Dialect.MIB;
            } else {
                throw HangarException.invalid("invalid-memory", "memory must be an IEC string like \"1gib\" or a whole number of MiB");
            }
        }

        JsonNode net = body.get("network_type");
        if (present(net) && !net.isTextual()) throw HangarException.invalid("invalid-network-type", "network_type must be a string");
        NetworkType networkType = NetworkType.parse(present(net) ? net.textValue() : null);

        int toolsTimeout = 0;
        JsonNode t = body.get("tools_init_timeout");
        if (present(t)) {
            if (!t.isIntegralNumber() || !t.canConvertToInt()) {
                throw HangarException.invalid("invalid-tools-init-timeout", "tools_init_timeout must be whole seconds");
            }
            toolsTimeout = t.intValue(); // its range is the core's to check
        }

        JsonNode cb = body.get("callback_url");
        if (present(cb) && !cb.isTextual()) throw HangarException.invalid("invalid-callback-url", "callback_url must be a string");
        return new VmRequest(null, ref, cpus, memory, networkType, gui, toolsTimeout, present(cb) ? cb.textValue() : null, dialect)
                .validated();
    }

    static ObjectNode render(Vm vm) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", vm.id().toString());
        ObjectNode image = o.putObject("image");
        image.put("url", vm.image().url());
        image.put("checksum", vm.image().checksum());
        image.put("checksum_type", vm.image().checksumType().wireName());
        o.put("cpus", vm.cpus());
        if (vm.dialect() == Vm.Dialect.MIB) o.put("memory", vm.memoryMib());
        else o.put("memory", MemorySize.format(vm.memoryMib()));
        o.put("network_type", vm.networkType().wireName());
        o.put("tools_init_timeout", vm.toolsInitTimeoutSeconds());
        o.put("launch_gui", vm.gui());
        o.put("headless", !vm.gui());
        o.put("ip_address", vm.ipAddress());
        o.put("status", vm.status().wireName());
        o.put("guest_os", vm.guestOs());
        if (vm.callbackUrl() != null) o.put("callback_url", vm.callbackUrl());
        if (vm.vnc() != null) o.put("vnc", vm.vnc());
        if (vm.error() != null) o.set("error", Json.MAPPER.valueToTree(dev.hangar.api.ApiServer.error(vm.error().code(), vm.error().message())));
        return o;
    }

    /** What a failed creation's callback carries: the error object with the VM's id. */
    static ObjectNode renderFailure(Vm vm) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", vm.id().toString());
        o.put("status", vm.status().wireName());
        o.put("code", vm.error().code());
        o.put("message", vm.error().message());
        return o;
    }

    private static String text(JsonNode obj, String field, String code) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw HangarException.invalid(code, "image." + field + " must be a string");
        return v.textValue();
    }

    private static void checkBoolean(JsonNode n, String field) {
        if (present(n) && !n.isBoolean()) throw HangarException.invalid("invalid-" + field.replace('_', '-'), field + " must be true or false");
    }

    private static boolean present(JsonNode n) {
        return n != null && !n.isNull();
    }
}
