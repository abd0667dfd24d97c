package dev.hangar.core;

import java.util.UUID;

/**
 * What a VM's cloud-init NoCloud seed disk holds: {@code user-data} as the client gave it,
 * {@code meta-data} (the instance id and host name) and, when given, {@code network-config}.
 */
public record CloudInitSeed(String instanceId, String hostname, String userData, String networkConfig) {
    /** The seed of a VM that asked for user-data or network-config. */
    static CloudInitSeed of(Vm vm) {
        return new CloudInitSeed(vm.id().toString(), vm.name() != null ? vm.name() : defaultHostname(vm.id()),
                vm.userData() == null ? "" : vm.userData(), vm.networkConfig());
    }

    /** A VM without a name is called after its id, as clouds name unnamed instances. */
    static String defaultHostname(UUID id) {
        return "vm-" + id.toString().substring(0, 8);
    }

    /** The meta-data file: YAML of two plain scalars (a UUID and an RFC 1123 name need no quoting). */
    public String metaData() {
        return "instance-id: " + instanceId + "\nlocal-hostname: " + hostname + "\n";
    }
}
