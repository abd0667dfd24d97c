package dev.hangar.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/** A CIDR range of IPv4 or IPv6 addresses, e.g. {@code 169.254.0.0/16} or {@code fe80::/10}. */
public final class AddressRange {
    private static final Pattern DOTTED_DECIMAL = Pattern.compile("(\\d{1,3}\\.){3}\\d{1,3}");
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private AddressRange(byte[] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /** Parses "ADDRESS/BITS" (a bare address is its own /32 or /128); IllegalArgumentException when it is not one. */
    public static AddressRange parse(String cidr) {
        String s = cidr == null ? "" : cidr.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        // Only literals: InetAddress would look a name up in DNS.
        if (!address.contains(":") && !DOTTED_DECIMAL.matcher(address).matches()) {
            throw new IllegalArgumentException("not an address range (ADDRESS/BITS, e.g. 10.0.0.0/8 or fd00::/8): " + cidr);
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address range (ADDRESS/BITS, e.g. 10.0.0.0/8 or fd00::/8): " + cidr);
        }
        int bits = bytes.length * 8;
        if (slash >= 0) {
            String length = s.substring(slash + 1);
            if (!length.matches("\\d{1,3}") || Integer.parseInt(length) > bits) {
                throw new IllegalArgumentException("the prefix length of " + cidr + " must be 0 to " + bits);
            }
            bits = Integer.parseInt(length);
        }
        return new AddressRange(bytes, bits, s);
    }

    /** True when the address is in this range; an IPv4 address is never in an IPv6 range, nor the reverse. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) return false;
        int whole = prefixLength / 8;
        if (!Arrays.equals(a, 0, whole, network, 0, whole)) return false;
        int rest = prefixLength % 8;
        if (rest == 0) return true;
        int mask = 0xff << (8 - rest) & 0xff;
        return (a[whole] & mask) == (network[whole] & mask);
    }

    @Override
    public String toString() {
        return text;
    }
}
