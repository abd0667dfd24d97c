package dev.hangar.api.infrakit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.Fields;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.groups.GroupPlan;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An InfraKit instance Spec made a {@link VmRequest}. The Spec is {@code {"Properties": {...}, "Tags":
 * {...}, "Init": "...", "LogicalID": null|"id", "Attachments": ...}}; its Properties are the seed
 * plugin's ({@code VMX}, {@code MemorySizeMBs}, {@code NumCPUs}, {@code LaunchGUI}, {@code Tags}) and
 * Hangar's own ({@code image}, {@code networks}, {@code disks}). A field of the wrong type is an error
 * that names it, with the code /vms uses for the same setting.
 */
final class InstanceSpecs {
    /** InfraKit's own tag for an instance's logical ID (native groups' members carry it too). */
    static final String LOGICAL_ID_TAG = GroupPlan.LOGICAL_ID_TAG;

    private InstanceSpecs() {}

    /**
     * What Validate was sent, as a Spec: the Properties alone (what the group plugins send), or a whole
     * Spec (what the 2016 CLI's {@code instance validate FILE} sends). Properties never hold a key
     * "Properties", so one at the top means a whole Spec.
     */
    static JsonNode asSpec(JsonNode validated) {
        if (validated != null && validated.isObject() && validated.has("Properties")) return validated;
        var spec = dev.hangar.api.Json.MAPPER.createObjectNode();
        spec.set("Properties", validated);
        return spec;
    }

    /** The request the Spec asks for, checked as a create on /vms would be; nothing is made. */
    static VmRequest toRequest(JsonNode spec) {
        if (!Fields.present(spec) || !spec.isObject()) throw HangarException.invalid("invalid-spec", "the Spec must be a JSON object");
        JsonNode props = spec.get("Properties");
        if (!Fields.present(props)) {
            throw HangarException.invalid("missing-image", "Properties are required: VMX (a VM of the library) or image {url, checksum, checksum_type}");
        }
        if (!props.isObject()) throw HangarException.invalid("invalid-properties", "Properties must be a JSON object");

        VmRequest.Builder r = VmRequest.builder().origin(Vm.Origin.INFRAKIT).boot(bootSource(props));
        r.memoryMib(memory(props));
        r.cpus(wholeNumber(props, "NumCPUs", "invalid-cpus"));
        JsonNode gui = props.get("LaunchGUI");
        if (Fields.present(gui)) {
            if (!gui.isBoolean()) throw HangarException.invalid("invalid-launch-gui", "Properties.LaunchGUI must be true or false");
            r.gui(gui.booleanValue());
        }
        r.networks(strings(props, "networks", "invalid-networks"));
        JsonNode disks = props.get("disks");
        if (Fields.present(disks)) {
            if (!disks.isArray()) throw HangarException.invalid("invalid-disks", "Properties.disks must be a list of sizes in GiB");
            List<BlankDisk> sizes = new java.util.ArrayList<>();
            for (JsonNode d : disks) {
                if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                    throw HangarException.invalid("invalid-disks", "Properties.disks must be a list of whole sizes in GiB");
                }
                sizes.add(new BlankDisk(d.longValue())); // which checks the size
            }
            r.disks(sizes);
        }

        // The Spec's tags are the group plugin's (infrakit.group, the config hash): they win over the user's.
        Map<String, String> tags = new LinkedHashMap<>();
        String logicalId = logicalId(spec.get("LogicalID"));
        // The name is the LogicalID in lower case; the tag keeps it as sent, for DescribeInstances to answer.
        if (logicalId != null) tags.put(LOGICAL_ID_TAG, logicalId);
        JsonNode propTags = props.get("Tags");
        if (Fields.present(propTags)) tags.putAll(Fields.strings(propTags, "Properties.Tags", "invalid-tags"));
        JsonNode specTags = spec.get("Tags");
        if (Fields.present(specTags)) tags.putAll(Fields.strings(specTags, "Tags", "invalid-tags"));
        r.tags(tags);

        JsonNode init = spec.get("Init");
        if (Fields.present(init)) {
            if (!init.isTextual()) throw HangarException.invalid("invalid-user-data", "Init must be a string (it becomes the VM's user-data)");
            // A flavor with nothing to run sends "": no seed disk for an empty script.
            if (!init.textValue().isEmpty()) r.userData(init.textValue());
        }
        r.name(logicalId);
        return r.build().validated();
    }

    private static BootSource bootSource(JsonNode props) {
        JsonNode vmx = props.get("VMX");
        JsonNode image = props.get("image");
        if (Fields.present(vmx) && Fields.present(image)) {
            throw HangarException.invalid("invalid-image", "Properties name VMX and image: send one of them");
        }
        if (Fields.present(vmx)) {
            if (!vmx.isTextual()) throw HangarException.invalid("invalid-library-name", "Properties.VMX must be the name of a VM of the library");
            return new BootSource.Library(VmRequest.checkedLibraryName(vmx.textValue()));
        }
        if (Fields.present(image)) return Fields.bootImage(image);
        throw HangarException.invalid("missing-image", "Properties need VMX (a VM of the library) or image {url, checksum, checksum_type}");
    }

    /** MemorySizeMBs, a whole number of MiB as the seed's plugin took it. */
    private static Long memory(JsonNode props) {
        JsonNode m = props.get("MemorySizeMBs");
        if (!Fields.present(m)) return null;
        if (!m.isIntegralNumber() || !m.canConvertToLong()) {
            throw HangarException.invalid("invalid-memory", "Properties.MemorySizeMBs must be a whole number of MiB");
        }
        return MemorySize.checkedRange(m.longValue());
    }

    private static Integer wholeNumber(JsonNode props, String field, String code) {
        JsonNode n = props.get(field);
        if (!Fields.present(n)) return null;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw HangarException.invalid(code, "Properties." + field + " must be a whole number");
        return n.intValue();
    }

    private static List<String> strings(JsonNode props, String field, String code) {
        JsonNode n = props.get(field);
        if (!Fields.present(n)) return null;
        if (!n.isArray()) throw HangarException.invalid(code, "Properties." + field + " must be a list of strings");
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw HangarException.invalid(code, "Properties." + field + " must be a list of strings");
            out.add(e.textValue());
        }
        return out;
    }

    /** The LogicalID becomes the VM's name, so it must be a host name. */
    private static String logicalId(JsonNode id) {
        if (!Fields.present(id)) return null;
        if (!id.isTextual()) throw HangarException.invalid("invalid-name", "LogicalID must be a string or null");
        try {
            VmRequest.checkedHostname(id.textValue());
            return id.textValue();
        } catch (HangarException e) {
            throw HangarException.invalid("invalid-name", "LogicalID \"" + id.textValue()
                    + "\" becomes the VM's name and must be an RFC 1123 host name (labels of letters, digits and inner hyphens, joined by dots)");
        }
    }
}
