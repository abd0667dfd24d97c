package dev.hangar.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.vms.GuestInfo;
import dev.hangar.hypervisor.GuestAgentReplies;
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
    private GuestAgentClient() {}

    static GuestInfo query(Path socketPath, Duration timeout) throws IOException {
        try (JsonLineSocket s = new JsonLineSocket(socketPath, timeout)) {
            long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
            s.send(JsonLineSocket.JSON.createObjectNode().put("execute", "guest-sync")
                    .set("arguments", JsonLineSocket.JSON.createObjectNode().put("id", id)));
            while (s.receive().path("return").asLong(-1) != id) {
                // stale answers from an earlier session
            }
            return new GuestInfo(GuestAgentReplies.firstIpv4(call(s, "guest-network-get-interfaces")), osName(s));
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
            return GuestAgentReplies.osName(call(s, "guest-get-osinfo"));
        } catch (IOException e) {
            return ""; // older agents lack guest-get-osinfo
        }
    }
}
