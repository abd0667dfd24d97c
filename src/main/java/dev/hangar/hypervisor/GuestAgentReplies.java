package dev.hangar.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Pattern;

/**
 * What Hangar reads from the QEMU guest agent's answers, whichever driver carried them: the first IPv4
 * address of the guest, and its OS's short name. The guest says what it likes: both are checked.
 */
public final class GuestAgentReplies {
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)");

    private GuestAgentReplies() {}

    /** The first IPv4 address that is not loopback, from guest-network-get-interfaces' return value. */
    public static String firstIpv4(JsonNode interfaces) {
        for (JsonNode nic : interfaces) {
            if ("lo".equals(nic.path("name").asText())) continue;
            for (JsonNode addr : nic.path("ip-addresses")) {
                String ip = addr.path("ip-address").asText();
                if ("ipv4".equals(addr.path("ip-address-type").asText()) && IPV4.matcher(ip).matches() && !ip.startsWith("127.")) {
                    return ip;
                }
            }
        }
        return "";
    }

    /** The OS's id (else name) from guest-get-osinfo's return value; "" unless short and printable. */
    public static String osName(JsonNode osinfo) {
        String name = osinfo.path("id").asText(osinfo.path("name").asText(""));
        return name.length() <= 64 && name.chars().allMatch(ch -> ch > 32 && ch < 127) ? name : "";
    }
}
