package dev.hangar.core.vms;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.networks.Network;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Named VM settings, as a template or a group holds them: what to boot (a gold image by URL or a VM of
 * the library), cpus, memory, blank disks, networks, tags, user-data and the display. Null cpus and
 * memory mean the image's own values, then the service defaults, as on {@code /vms}. {@code warm}
 * (null: as the image is) marks the image warm, with a pool, once a member has it cached (see
 * docs/warm-starts.md); it changes how members start, not what they are, so it is not in the hash.
 */
public record VmBlueprint(BootSource boot, Integer cpus, Long memoryMib, List<BlankDisk> disks, List<String> networks,
                          Map<String, String> tags, String userData, boolean gui, WarmTemplates.Settings warm) {
    public VmBlueprint(BootSource boot, Integer cpus, Long memoryMib, List<BlankDisk> disks, List<String> networks,
                       Map<String, String> tags, String userData, boolean gui) {
        this(boot, cpus, memoryMib, disks, networks, tags, userData, gui, null);
    }

    public VmBlueprint {
        disks = List.copyOf(disks == null ? List.of() : disks);
        networks = List.copyOf(networks == null ? List.of(Network.NAT) : networks);
        tags = Map.copyOf(tags == null ? Map.of() : tags);
    }

    /** Checks the settings as a VM request would be checked; only images and library VMs can be cloned. */
    public VmBlueprint validated() {
        if (!(boot instanceof BootSource.Image) && !(boot instanceof BootSource.Library)) {
            throw HangarException.invalid("missing-image", "a template needs an image: {url, checksum, checksum_type} or {library}");
        }
        request().build().validated();
        return this;
    }

    /** A VM request with these settings, for the caller to add a name, tags and origin to. */
    public VmRequest.Builder request() {
        return VmRequest.builder().boot(boot).cpus(cpus).memoryMib(memoryMib).disks(disks).networks(networks).tags(tags)
                .userData(userData).gui(gui);
    }

    /**
     * A digest of everything that shapes a member, in a fixed order: two blueprints that would make the
     * same VMs have the same hash, and a member made from an older one is outdated. Tags are sorted.
     */
    public String hash() {
        StringBuilder s = new StringBuilder();
        switch (boot) {
            case BootSource.Image i -> s.append("image\n").append(i.image().checksumType().wireName()).append('-')
                    .append(i.image().checksum()).append('\n').append(i.image().url());
            case BootSource.Library l -> s.append("library\n").append(l.name());
            default -> s.append(boot);
        }
        s.append("\ncpus ").append(cpus).append("\nmemory ").append(memoryMib).append("\ndisks ")
                .append(disks.stream().map(d -> String.valueOf(d.sizeGib())).toList()).append("\nnetworks ")
                .append(networks).append("\ngui ").append(gui).append("\ntags\n");
        new TreeMap<>(tags).forEach((k, v) -> s.append(k.length()).append(':').append(k).append('=').append(v.length())
                .append(':').append(v).append('\n'));
        s.append("user-data ").append(userData == null ? "-" : userData.length() + ":" + userData);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
