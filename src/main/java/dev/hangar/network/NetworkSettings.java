package dev.hangar.network;

/**
 * How VMs are wired on this host. {@code userMode}: QEMU's user-mode stack for every VM, for hosts
 * where Hangar may not make bridges (the VMs then have no address the host can reach).
 */
public record NetworkSettings(
        boolean userMode,
        String natBridge,
        Subnet natSubnet,
        String hostonlyBridge,
        Subnet hostonlySubnet,
        String bridgedInterface) {

    /** Names and subnets chosen not to clash with libvirt's virbr0 (192.168.122.0/24) or Docker's. */
    public static NetworkSettings defaults() {
        return new NetworkSettings(false, "hangar0", Subnet.parse("10.213.0.0/24"),
                "hangar1", Subnet.parse("10.214.0.0/24"), null);
    }
}
