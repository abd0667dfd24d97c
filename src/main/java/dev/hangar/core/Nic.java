package dev.hangar.core;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** One network card: the named network it sits on and its own MAC (unique across every VM). */
public record Nic(String network, String mac) {
    /**
     * The tap device name: "hgt" and the MAC's last 6 hex digits, within Linux's 15 characters and as
     * unique as the MAC.
     */
    public String tapName() { return "hgt" + mac.replace(":", "").substring(6); }

    /** A MAC in QEMU's locally administered 52:54:00 range; 24 random bits, so callers check for clashes. */
    public static String randomMac() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(b);
    }
}
