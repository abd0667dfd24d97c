package dev.hangar.network;

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
            int v = Integer.parseInt(o);
            if (v < 0 || v > 255) throw new IllegalArgumentException("bad octet in subnet " + cidr);
        }
        return new Subnet(octets[0] + "." + octets[1] + "." + octets[2]);
    }

    public String cidr() { return prefix + ".0/24"; }

    public String gateway() { return prefix + ".1"; }

    String gatewayCidr() { return gateway() + "/24"; }

    String dhcpStart() { return prefix + ".10"; }

    String dhcpEnd() { return prefix + ".250"; }
}
