package dev.hangar.core.images;

import java.util.UUID;

/**
 * What a VM's cloud-init NoCloud seed disk holds: {@code user-data} as the client gave it,
 * {@code meta-data} (the instance id and host name) and, when given, {@code network-config}.
 */
public record CloudInitSeed(String instanceId, String hostname, String userData, String networkConfig) {
    /** A VM without a name is called after its id, as clouds name unnamed instances. */
    public static String defaultHostname(UUID id) {
        return "vm-" + id.toString().substring(0, 8);
    }

    /** The meta-data file: YAML of two plain scalars (a UUID and an RFC 1123 name need no quoting). */
    public String metaData() {
        return "instance-id: " + instanceId + "\nlocal-hostname: " + hostname + "\n";
    }
}
