package dev.hangar.core.networks;

import dev.hangar.core.HangarException;

/**
 * An IPv4 /24 for a managed bridge: the host is .1, DHCP hands out .10 to .250. A /24 keeps the
 * arithmetic obvious and holds more VMs than one host runs.
 */
public record Subnet(String prefix) {
    public static Subnet parse(String cidr) {
        String[] parts = cidr.trim().split("/");
        String[] octets = parts[0].split("\\.");
        if (parts.length != 2 || !parts[1].equals("24") || octets.length != 4 || !octets[3].equals("0")) {
            throw new IllegalArgumentException("subnet must be an IPv4 /24 like 10.213.0.0/24, not " + cidr);
        }
        for (String o : octets) {
            if (!o.matches("\\d{1,3}") || Integer.parseInt(o) > 255) throw new IllegalArgumentException("bad octet in subnet " + cidr);
        }
        return new Subnet(octets[0] + "." + octets[1] + "." + octets[2]);
    }

    /** A subnet a client gave: 400 invalid-subnet rather than an exception of the JDK's. */
    public static Subnet checked(String cidr) {
        try {
            return parse(cidr);
        } catch (IllegalArgumentException e) {
            throw HangarException.invalid("invalid-subnet", e.getMessage());
        }
    }

    public String cidr() { return prefix + ".0/24"; }

    public String gateway() { return prefix + ".1"; }

    public String gatewayCidr() { return gateway() + "/24"; }

    public String dhcpStart() { return prefix + ".10"; }

    public String dhcpEnd() { return prefix + ".250"; }
}
