package dev.hangar.network;

import dev.hangar.core.Subnet;

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
}
