package dev.hangar.core.networks;

import dev.hangar.core.HangarException;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * A named network VMs join. The built-in ones ({@code nat}, {@code hostonly}, {@code bridged}) come
 * from the service's settings; others are defined through an API and persisted: an Open vSwitch bridge
 * whose ports carry a VLAN tag, optionally with a subnet on which Hangar serves DHCP and DNS.
 */
public record Network(String name, Kind kind, String bridge, Integer vlan, Subnet subnet, boolean builtin, Instant createdAt) {
    public enum Kind { NAT, HOSTONLY, BRIDGED, OVS }

    public static final String NAT = "nat";
    public static final String HOSTONLY = "hostonly";
    public static final String BRIDGED = "bridged";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    /**
     * A bridge Hangar may make or take: a Linux interface name (at most 15 characters) that starts with a
     * letter, so no option (-x) and no dot name, in lower case as interface names are written.
     */
    private static final Pattern BRIDGE = Pattern.compile("[a-z][a-z0-9_.-]{0,14}");

    public static String checkedName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HangarException.invalid("invalid-network-name",
                    "network names are 1 to 64 of A-Z a-z 0-9 . _ : -, not \"" + name + "\"");
        }
        return name;
    }

    public static String checkedBridge(String bridge) {
        if (bridge == null || !BRIDGE.matcher(bridge).matches()) {
            throw bridgeNotAllowed("a bridge is named by a lower-case letter and up to 14 of a-z 0-9 _ . -, not \"" + bridge + "\"");
        }
        return bridge;
    }

    public static HangarException bridgeNotAllowed(String why) {
        return HangarException.invalid("bridge-not-allowed", why);
    }

    public static Integer checkedVlan(Integer vlan) {
        if (vlan != null && (vlan < 1 || vlan > 4094)) throw HangarException.invalid("invalid-vlan", "vlan must be from 1 to 4094, not " + vlan);
        return vlan;
    }
}
