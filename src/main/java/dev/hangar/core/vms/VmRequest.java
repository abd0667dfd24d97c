package dev.hangar.core.vms;

import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.networks.Network;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a client asks for, already parsed by its face. Null means "not given": the image's value, then
 * the service default applies. The request is checked here, up front, before anything is fetched.
 * Faces build it with {@link #builder()}.
 */
public record VmRequest(
        String name,
        Map<String, String> tags,
        Vm.Origin origin,
        BootSource boot,
        Integer cpus,
        Long memoryMib,
        List<String> networks,
        List<BlankDisk> disks,
        boolean gui,
        int toolsInitTimeoutSeconds,
        String callbackUrl,
        Vm.Dialect dialect,
        String userData,
        String networkConfig) {

    public static final int MAX_CPUS = 256;
    public static final int MAX_TOOLS_INIT_TIMEOUT = 86_400;
    public static final int MAX_NICS = 16;
    public static final int MAX_DISKS = 16;
    /** cloud-init's own sources cap user-data at 16 KiB (EC2) to a few MiB; a seed disk holds what we allow. */
    public static final int MAX_USER_DATA = 256 * 1024;
    private static final Pattern LIBRARY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, 253 characters at most. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    public VmRequest {
        tags = Map.copyOf(tags == null ? Map.of() : tags);
        networks = networks == null ? List.of(Network.NAT) : List.copyOf(networks);
        disks = List.copyOf(disks == null ? List.of() : disks);
        if (boot == null) boot = new BootSource.Disk();
        if (origin == null) origin = Vm.Origin.VMS;
        if (dialect == null) dialect = Vm.Dialect.IEC;
    }

    public VmRequest validated() {
        if (name != null) checkedHostname(name);
        switch (boot) {
            case BootSource.Image i -> {
                if (i.image() == null) throw HangarException.invalid("missing-image", "image is required");
                i.image().validated();
            }
            case BootSource.NetworkInstall n -> {
                if (n.location() == null || !n.location().matches("(?i)https?://\\S+")) {
                    throw HangarException.invalid("invalid-location", "location must be the http or https URL of an install tree");
                }
                if (n.cmdline() != null && (n.cmdline().length() > 4096 || n.cmdline().chars().anyMatch(c -> c < 0x20))) {
                    throw HangarException.invalid("invalid-cmdline", "cmdline must be one line of at most 4096 characters");
                }
            }
            case BootSource.Disk d -> { }
            case BootSource.Library l -> checkedLibraryName(l.name());
        }
        if (cpus != null && (cpus < 1 || cpus > MAX_CPUS)) {
            throw HangarException.invalid("invalid-cpus", "cpus must be between 1 and " + MAX_CPUS + ", not " + cpus);
        }
        if (memoryMib != null) MemorySize.checkedRange(memoryMib);
        if (networks.isEmpty() || networks.size() > MAX_NICS) {
            throw HangarException.invalid("invalid-networks", "networks must name 1 to " + MAX_NICS + " networks");
        }
        networks.forEach(Network::checkedName);
        if (disks.size() > MAX_DISKS) throw HangarException.invalid("invalid-disks", "at most " + MAX_DISKS + " disks");
        if (toolsInitTimeoutSeconds < 0 || toolsInitTimeoutSeconds > MAX_TOOLS_INIT_TIMEOUT) {
            throw HangarException.invalid("invalid-tools-init-timeout",
                    "tools_init_timeout must be whole seconds from 0 to " + MAX_TOOLS_INIT_TIMEOUT);
        }
        if (callbackUrl != null && !callbackUrl.isBlank() && !callbackUrl.matches("(?i)https?://\\S+")) {
            throw HangarException.invalid("invalid-callback-url", "callback_url must be an http or https URL");
        }
        checkCloudInit("user_data", userData);
        checkCloudInit("network_config", networkConfig);
        checkedTags(tags);
        return this;
    }

    /** Tags as every face takes them: at most 64, keys of 1 to 128 characters, values of at most 1024. */
    public static Map<String, String> checkedTags(Map<String, String> tags) {
        if (tags.size() > 64) throw HangarException.invalid("invalid-tags", "at most 64 tags");
        tags.forEach((k, v) -> {
            if (k == null || v == null || k.isEmpty() || k.length() > 128 || v.length() > 1024) {
                throw HangarException.invalid("invalid-tags", "tag keys are 1 to 128 characters, values at most 1024");
            }
        });
        return tags;
    }

    private static void checkCloudInit(String field, String text) {
        if (text != null && text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_USER_DATA) {
            throw HangarException.invalid("invalid-" + field.replace('_', '-'), field + " is larger than " + MAX_USER_DATA + " bytes");
        }
    }

    /** The name of a VM folder in the library: one path element, {@code NAME.vmwarevm}; 400 invalid-library-name otherwise. */
    public static String checkedLibraryName(String name) {
        if (name == null || !LIBRARY_NAME.matcher(name).matches() || name.contains("..")) {
            throw HangarException.invalid("invalid-library-name",
                    "a library VM is named by letters, digits, '.', '_' and '-' (the folder NAME.vmwarevm), not \"" + name + "\"");
        }
        return name;
    }

    /** A host name as RFC 1123 allows it, in lower case; anything else is 400 invalid-name. */
    public static String checkedHostname(String name) {
        boolean ok = name != null && !name.isEmpty() && name.length() <= 253;
        if (ok) {
            for (String label : name.split("\\.", -1)) ok &= LABEL.matcher(label).matches();
        }
        if (!ok) {
            throw HangarException.invalid("invalid-name",
                    "a name must be an RFC 1123 host name (labels of letters, digits and inner hyphens, joined by dots), not \"" + name + "\"");
        }
        return name.toLowerCase(Locale.ROOT);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private String name;
        private Map<String, String> tags;
        private Vm.Origin origin;
        private BootSource boot;
        private Integer cpus;
        private Long memoryMib;
        private List<String> networks;
        private List<BlankDisk> disks;
        private boolean gui;
        private int toolsInitTimeoutSeconds;
        private String callbackUrl;
        private Vm.Dialect dialect;
        private String userData;
        private String networkConfig;

        private Builder() {}

        public Builder name(String v) { name = v; return this; }
        public Builder tags(Map<String, String> v) { tags = v; return this; }
        public Builder origin(Vm.Origin v) { origin = v; return this; }
        public Builder boot(BootSource v) { boot = v; return this; }
        public Builder image(ImageRef v) { boot = new BootSource.Image(v); return this; }
        public Builder cpus(Integer v) { cpus = v; return this; }
        public Builder memoryMib(Long v) { memoryMib = v; return this; }
        public Builder networks(List<String> v) { networks = v; return this; }
        public Builder disks(List<BlankDisk> v) { disks = v; return this; }
        public Builder gui(boolean v) { gui = v; return this; }
        public Builder toolsInitTimeoutSeconds(int v) { toolsInitTimeoutSeconds = v; return this; }
        public Builder callbackUrl(String v) { callbackUrl = v; return this; }
        public Builder dialect(Vm.Dialect v) { dialect = v; return this; }
        public Builder userData(String v) { userData = v; return this; }
        public Builder networkConfig(String v) { networkConfig = v; return this; }

        public VmRequest build() {
            return new VmRequest(name, tags, origin, boot, cpus, memoryMib, networks, disks, gui, toolsInitTimeoutSeconds,
                    callbackUrl, dialect, userData, networkConfig);
        }
    }
}
