package dev.hangar.core.vms;

import dev.hangar.core.Problem;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.networks.Nic;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One virtual machine, whatever face created it. Immutable: a change makes a new value (through
 * {@link #toBuilder()}) that the service stores. Cpus and memory are the effective values (request,
 * else image, else default); {@code requestedCpus} and {@code requestedMemoryMib} keep what the client
 * asked for (null: not given), so a creation resumed after a restart still lets the request win.
 *
 * <p>To add a field: the record component, the builder's field and setter, and {@link #toBuilder()};
 * nothing else constructs a Vm.
 */
public record Vm(
        UUID id,
        String name,
        Map<String, String> tags,
        Origin origin,
        BootSource boot,
        int cpus,
        long memoryMib,
        Integer requestedCpus,
        Long requestedMemoryMib,
        List<BlankDisk> disks,
        List<Nic> nics,
        boolean gui,
        int toolsInitTimeoutSeconds,
        String callbackUrl,
        Dialect dialect,
        VmStatus status,
        String ipAddress,
        String guestOs,
        String vnc,
        Problem error,
        String userData,
        String networkConfig,
        Instant createdAt,
        String start) {

    /** How the VM's machine first started: restored from a memory template of its image, or booted. */
    public static final String START_WARM = "warm";
    public static final String START_COLD = "cold";

    public Vm {
        tags = Map.copyOf(tags == null ? Map.of() : tags);
        disks = List.copyOf(disks == null ? List.of() : disks);
        nics = List.copyOf(nics == null ? List.of() : nics);
        if (ipAddress == null) ipAddress = "";
        if (guestOs == null) guestOs = "";
        if (start == null) start = "";
    }

    /**
     * Which version of the OS X Builder document the client spoke: 000 sends memory as an IEC string
     * and launch_gui, 001 an integer of MiB and headless. Answers use the same form, so either client's
     * decoder keeps working.
     */
    public enum Dialect { IEC, MIB }

    /** Which face made the VM; a group's members also carry the group's name in the tag {@code infrakit.group}. */
    public enum Origin { VMS, HOSTS, GROUPS, INFRAKIT }

    /** The gold image the VM is a clone of, when it boots from one. */
    public Optional<ImageRef> image() {
        return boot instanceof BootSource.Image i ? Optional.of(i.image()) : Optional.empty();
    }

    /** Whether every pair of {@code wanted} is among the VM's tags (an empty filter matches every VM). */
    public boolean hasTags(Map<String, String> wanted) {
        return tags.entrySet().containsAll(wanted.entrySet());
    }

    /** Whether the VM gets a cloud-init NoCloud seed disk. */
    public boolean hasCloudInit() {
        return userData != null || networkConfig != null;
    }

    public Vm withStatus(VmStatus s) { return toBuilder().status(s).build(); }

    public Vm withIp(String ip) { return toBuilder().ipAddress(ip).build(); }

    public Vm failed(Problem p) { return toBuilder().status(VmStatus.ERROR).error(p).build(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id; b.name = name; b.tags = tags; b.origin = origin; b.boot = boot; b.cpus = cpus;
        b.memoryMib = memoryMib; b.requestedCpus = requestedCpus; b.requestedMemoryMib = requestedMemoryMib;
        b.disks = disks; b.nics = nics; b.gui = gui; b.toolsInitTimeoutSeconds = toolsInitTimeoutSeconds;
        b.callbackUrl = callbackUrl; b.dialect = dialect; b.status = status; b.ipAddress = ipAddress;
        b.guestOs = guestOs; b.vnc = vnc; b.error = error; b.userData = userData; b.networkConfig = networkConfig;
        b.createdAt = createdAt; b.start = start;
        return b;
    }

    public static Builder builder() { return new Builder(); }

    /** Builds a Vm field by field; unset fields take the empty value of their type. */
    public static final class Builder {
        private UUID id;
        private String name;
        private Map<String, String> tags = Map.of();
        private Origin origin = Origin.VMS;
        private BootSource boot = new BootSource.Disk();
        private int cpus;
        private long memoryMib;
        private Integer requestedCpus;
        private Long requestedMemoryMib;
        private List<BlankDisk> disks = List.of();
        private List<Nic> nics = List.of();
        private boolean gui;
        private int toolsInitTimeoutSeconds;
        private String callbackUrl;
        private Dialect dialect = Dialect.IEC;
        private VmStatus status = VmStatus.CREATING;
        private String ipAddress = "";
        private String guestOs = "";
        private String vnc;
        private Problem error;
        private String userData;
        private String networkConfig;
        private Instant createdAt;
        private String start = "";

        private Builder() {}

        public Builder id(UUID v) { id = v; return this; }
        public Builder name(String v) { name = v; return this; }
        public Builder tags(Map<String, String> v) { tags = v; return this; }
        public Builder origin(Origin v) { origin = v; return this; }
        public Builder boot(BootSource v) { boot = v; return this; }
        public Builder cpus(int v) { cpus = v; return this; }
        public Builder memoryMib(long v) { memoryMib = v; return this; }
        public Builder requestedCpus(Integer v) { requestedCpus = v; return this; }
        public Builder requestedMemoryMib(Long v) { requestedMemoryMib = v; return this; }
        public Builder disks(List<BlankDisk> v) { disks = v; return this; }
        public Builder nics(List<Nic> v) { nics = v; return this; }
        public Builder gui(boolean v) { gui = v; return this; }
        public Builder toolsInitTimeoutSeconds(int v) { toolsInitTimeoutSeconds = v; return this; }
        public Builder callbackUrl(String v) { callbackUrl = v; return this; }
        public Builder dialect(Dialect v) { dialect = v; return this; }
        public Builder status(VmStatus v) { status = v; return this; }
        public Builder ipAddress(String v) { ipAddress = v; return this; }
        public Builder guestOs(String v) { guestOs = v; return this; }
        public Builder vnc(String v) { vnc = v; return this; }
        public Builder error(Problem v) { error = v; return this; }
        public Builder userData(String v) { userData = v; return this; }
        public Builder networkConfig(String v) { networkConfig = v; return this; }
        public Builder createdAt(Instant v) { createdAt = v; return this; }
        public Builder start(String v) { start = v; return this; }

        public Vm build() {
            return new Vm(id, name, tags, origin, boot, cpus, memoryMib, requestedCpus, requestedMemoryMib, disks, nics,
                    gui, toolsInitTimeoutSeconds, callbackUrl, dialect, status, ipAddress, guestOs, vnc, error, userData, networkConfig, createdAt, start);
        }
    }
}
