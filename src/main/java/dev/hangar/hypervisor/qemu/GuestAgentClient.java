package dev.hangar.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.ports.GuestInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The QEMU guest agent over its virtio-serial socket. Unlike QMP there is no greeting, and a reply left
 * over from an earlier, timed-out session may still sit in the pipe, so every session starts with
 * guest-sync and a fresh id, skipping anything until that id comes back.
 */
final class GuestAgentClient {
    private static final java.util.regex.Pattern IPV4 =
            java.util.regex.Pattern.compile("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)");
    private GuestAgentClient() {}

    static GuestInfo query(Path socketPath, Duration timeout) throws IOException {
        try (JsonLineSocket s = new JsonLineSocket(socketPath, timeout)) {
            long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
            s.send(JsonLineSocket.JSON.createObjectNode().put("execute", "guest-sync")
                    .set("arguments", JsonLineSocket.JSON.createObjectNode().put("id", id)));
            while (s.receive().path("return").asLong(-1) != id) {
                // stale answers from an earlier session
            }
            return new GuestInfo(firstIpv4(call(s, "guest-network-get-interfaces")), osName(s));
        }
    }

    private static JsonNode call(JsonLineSocket s, String command) throws IOException {
        s.send(JsonLineSocket.JSON.createObjectNode().put("execute", command));
        JsonNode reply = s.receive();
        if (reply.has("error")) throw new IOException(command + ": " + reply.get("error"));
        return reply.path("return");
    }

    private static String osName(JsonLineSocket s) {
        try {
            JsonNode os = call(s, "guest-get-osinfo");
            String name = os.path("id").asText(os.path("name").asText(""));
            // The guest says what it likes here: keep a short, printable name only.
            return name.length() <= 64 && name.chars().allMatch(ch -> ch > 32 && ch < 127) ? name : "";
        } catch (IOException e) {
            return ""; // older agents lack guest-get-osinfo
        }
    }

    /** The first IPv4 address that is not loopback, from guest-network-get-interfaces. */
    static String firstIpv4(JsonNode interfaces) {
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
}
