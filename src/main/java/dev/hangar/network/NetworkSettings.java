package dev.hangar.network;

import dev.hangar.core.networks.Subnet;

/**
 * How VMs are wired on this host. {@code userMode}: QEMU's user-mode stack for every VM, for hosts
 * where Hangar may not make bridges (the VMs then have no address the host can reach).
 * {@code allowedBridges}: existing bridges of the host the operator lets networks take ("bridges").
 * {@code hostAccess}: the built-in networks whose guests may reach the host's own services
 * ("allow_host_access"; by default they reach only its DHCP and DNS), {@value #USER_MODE} for user mode's.
 * {@code templateBridge} and {@code templateSubnet}: the isolated network warm templates boot on.
 */
public record NetworkSettings(
        boolean userMode,
        String natBridge,
        Subnet natSubnet,
        String hostonlyBridge,
        Subnet hostonlySubnet,
        String bridgedInterface,
        java.util.List<String> allowedBridges,
        java.util.Set<String> hostAccess,
        String templateBridge,
        Subnet templateSubnet) {
    /** The name {@code hostAccess} gives user mode's guests. */
    public static final String USER_MODE = "user";

    public NetworkSettings {
        allowedBridges = java.util.List.copyOf(allowedBridges);
        hostAccess = java.util.Set.copyOf(hostAccess);
    }

    public static final String DEFAULT_TEMPLATE_BRIDGE = "hangar2";
    public static final String DEFAULT_TEMPLATE_SUBNET = "10.215.0.0/24";

    public NetworkSettings(boolean userMode, String natBridge, Subnet natSubnet, String hostonlyBridge, Subnet hostonlySubnet,
                           String bridgedInterface) {
        this(userMode, natBridge, natSubnet, hostonlyBridge, hostonlySubnet, bridgedInterface, java.util.List.of(), java.util.Set.of(),
                DEFAULT_TEMPLATE_BRIDGE, Subnet.parse(DEFAULT_TEMPLATE_SUBNET));
    }
}
