package dev.hangar.images;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code hangar.json}: an image's own description of the VM it holds, for images that are not VMware or
 * OVF bundles (e.g. a kernel and a raw root disk). Found anywhere in the image; paths are relative to it
 * and must stay inside the image.
 *
 * <pre>{@code
 * {
 *   "kernel":    "vmlinux",            // direct boot: kernel, optional initrd and cmdline
 *   "initrd":    "initrd.img",
 *   "cmdline":   "console=ttyS0 root=/dev/vda",
 *   "disks":     ["disk.raw"],         // in order; any format qemu-img reads (raw if unrecognised)
 *   "cpus":      1,
 *   "memory":    "256mib",             // IEC string (kib, mib, gib, tib; decimals allowed) or integer MiB
 *   "guest_os":  "other5xlinux-64",    // reported as the VM's guest_os
 *   "nic":       "virtio",             // virtio | e1000 | e1000e | vmxnet3 | pcnet | rtl8139
 *   "disk_bus":  "virtio",             // virtio | ide | sata | lsi | megasas | pvscsi | nvme
 *   "firmware":  "bios"                // bios | efi
 * }
 * }</pre>
 *
 * Every field is optional except that at least one of kernel or disks must be given. Unknown fields are
 * ignored, so newer manifests still load.
 */
record HangarManifest(String kernel, String initrd, List<String> disks, MachineProfile profile) {
    static final String FILE_NAME = "hangar.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    static HangarManifest parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw ImageFailures.manifestInvalid("hangar.json is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ImageFailures.manifestInvalid("hangar.json cannot be read: " + ImageFailures.describe(e));
        }
        if (root == null || !root.isObject()) throw ImageFailures.manifestInvalid("hangar.json must hold a JSON object");

        List<String> disks = new ArrayList<>();
        JsonNode diskList = root.path("disks");
        if (!diskList.isMissingNode() && !diskList.isNull()) {
            if (!diskList.isArray()) throw ImageFailures.manifestInvalid("hangar.json: disks must be a list of file names");
            for (JsonNode d : diskList) {
                if (!d.isTextual() || d.asText().isBlank()) throw ImageFailures.manifestInvalid("hangar.json: disks must be file names");
                disks.add(d.asText());
            }
        }
        String kernel = string(root, "kernel");
        if (kernel == null && disks.isEmpty()) {
            throw ImageFailures.manifestInvalid("hangar.json must name a kernel or at least one disk");
        }
        MachineProfile profile = new MachineProfile(
                cpus(root),
                memory(root),
                string(root, "guest_os"),
                choice(root, "nic", NicModel.class),
                choice(root, "disk_bus", DiskBus.class),
                choice(root, "firmware", Firmware.class),
                string(root, "cmdline"));
        return new HangarManifest(kernel, string(root, "initrd"), List.copyOf(disks), profile);
    }

    private static String string(JsonNode root, String field) {
        JsonNode n = root.path(field);
        if (n.isMissingNode() || n.isNull()) return null;
        if (!n.isTextual()) throw ImageFailures.manifestInvalid("hangar.json: " + field + " must be a string");
        return n.asText().isBlank() ? null : n.asText();
    }

    private static Integer cpus(JsonNode root) {
        JsonNode n = root.path("cpus");
        if (n.isMissingNode() || n.isNull()) return null;
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 1) {
            throw ImageFailures.manifestInvalid("hangar.json: cpus must be a positive integer, not " + n);
        }
        return n.intValue();
    }

    private static Integer memory(JsonNode root) {
        JsonNode n = root.path("memory");
        if (n.isMissingNode() || n.isNull()) return null;
        if (n.isIntegralNumber() && n.canConvertToInt() && n.intValue() > 0) return n.intValue();
        if (n.isTextual()) {
            Long mib = parseMib(n.asText());
            if (mib != null && mib > 0 && mib <= Integer.MAX_VALUE) return mib.intValue();
        }
        throw ImageFailures.manifestInvalid("hangar.json: memory must be IEC units (e.g. 512mib, 1.5gib) or an integer of MiB, not " + n);
    }

    /** An IEC string through the same parser the API uses; null when it is not one. */
    private static Long parseMib(String text) {
        try {
            return MemorySize.parseMib(text);
        } catch (HangarException notASize) {
            return null;
        }
    }

    private static <E extends Enum<E>> E choice(JsonNode root, String field, Class<E> type) {
        String value = string(root, field);
        if (value == null) return null;
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) return e;
        }
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) allowed.add(e.name().toLowerCase(Locale.ROOT));
        throw ImageFailures.manifestInvalid("hangar.json: " + field + " must be one of " + String.join(", ", allowed) + ", not " + value);
    }
}
