package dev.hangar.core.networks;

import dev.hangar.core.HangarException;
import java.util.Locale;

/** How a VM is wired: nat (managed bridge with masquerading), hostonly (managed bridge, no NAT), bridged. */
public enum NetworkType {
    NAT, HOSTONLY, BRIDGED;

    public String wireName() { return name().toLowerCase(Locale.ROOT); }

    public static NetworkType parse(String s) {
        if (s == null || s.isBlank()) return NAT;
        for (NetworkType t : values()) if (t.wireName().equalsIgnoreCase(s.trim())) return t;
        throw HangarException.invalid("invalid-network-type", "network_type must be nat, hostonly or bridged, not " + s);
    }
}
