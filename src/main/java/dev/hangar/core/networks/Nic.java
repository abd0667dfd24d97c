package dev.hangar.core.networks;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** One network card: the named network it sits on and its own MAC (unique across every VM). */
public record Nic(String network, String mac) {
    /**
     * The first three octets of the MACs Hangar makes. a2 is unicast and locally administered, in the
     * quadrant IEEE 802c leaves to local administrators (second digit 2, as QEMU's 52); "hg" follows.
     * No hypervisor's or container runtime's default: not QEMU's and libvirt's 52:54:00, Xen's and
     * LXD's 00:16:3e, VMware's 00:50:56 and 00:0c:29, VirtualBox's 08:00:27 and 0a:00:27, Hyper-V's
     * 00:15:5d, Docker's 02:42, Parallels' 00:1c:42, OpenStack's fa:16:3e, so a guest of another
     * hypervisor on the same bridge never gets one of ours by its own default.
     */
    public static final String MAC_PREFIX = "a2:68:67";

    /**
     * The tap device name: "hgt" and the MAC's last 6 hex digits, within Linux's 15 characters and as
     * unique as the MAC.
     */
    public String tapName() { return "hgt" + mac.replace(":", "").substring(6); }

    /** A MAC under Hangar's own prefix; 24 random bits, so callers check for clashes. */
    public static String randomMac() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return MAC_PREFIX + ":" + HexFormat.ofDelimiter(":").formatHex(b);
    }
}
