package dev.hangar.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.vms.GuestInfo;
import dev.hangar.hypervisor.GuestAgentReplies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The QEMU guest agent over its virtio-serial socket. Unlike QMP there is no greeting, and a reply left
 * over from an earlier, timed-out session may still sit in the pipe, so every session starts with
 * guest-sync and a fresh id, skipping anything until that id comes back.
 */
final class GuestAgentClient implements AutoCloseable {
    /** What a program run in the guest left: its exit code and its two streams. */
    record Exit(int code, String stdout, String stderr) {}

    private final JsonLineSocket socket;

    private GuestAgentClient(JsonLineSocket socket) {
        this.socket = socket;
    }

    /** A synchronised session: whatever an earlier session left in the pipe is skipped. */
    static GuestAgentClient open(Path socketPath, Duration timeout) throws IOException {
        JsonLineSocket s = new JsonLineSocket(socketPath, timeout);
        try {
            long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
            s.send(JsonLineSocket.JSON.createObjectNode().put("execute", "guest-sync")
                    .set("arguments", JsonLineSocket.JSON.createObjectNode().put("id", id)));
            while (s.receive().path("return").asLong(-1) != id) {
                // stale answers from an earlier session
            }
            return new GuestAgentClient(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    static GuestInfo query(Path socketPath, Duration timeout) throws IOException {
        try (GuestAgentClient agent = open(socketPath, timeout)) {
            return new GuestInfo(GuestAgentReplies.firstIpv4(agent.call("guest-network-get-interfaces", null)), agent.osName());
        }
    }

    /** Runs a command and returns its "return" value; an agent's "error" becomes an IOException. */
    JsonNode call(String command, ObjectNode arguments) throws IOException {
        ObjectNode message = JsonLineSocket.JSON.createObjectNode().put("execute", command);
        if (arguments != null) message.set("arguments", arguments);
        socket.send(message);
        JsonNode reply = socket.receive();
        if (reply.has("error")) throw new IOException(command + ": " + reply.get("error").path("desc").asText("failed"));
        return reply.path("return");
    }

    /** Sets the guest's clock to the host's (a restored guest's clock stands where its template paused). */
    void setTime(Instant now) throws IOException {
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        call("guest-set-time", JsonLineSocket.JSON.createObjectNode().put("time", nanos));
    }

    /**
     * Runs a program in the guest with these arguments (an argument list: no shell of the guest reads
     * them as code unless the program is one) and waits for it to end, its output captured.
     */
    Exit exec(String path, List<String> args, Duration timeout) throws IOException {
        ObjectNode request = JsonLineSocket.JSON.createObjectNode().put("path", path).put("capture-output", true);
        var arg = request.putArray("arg");
        args.forEach(arg::add);
        long pid = call("guest-exec", request).path("pid").asLong(-1);
        if (pid < 0) throw new IOException("guest-exec gave no pid");
        Instant until = Instant.now().plus(timeout);
        while (true) {
            JsonNode status = call("guest-exec-status", JsonLineSocket.JSON.createObjectNode().put("pid", pid));
            if (status.path("exited").asBoolean(false)) {
                String out = decode(status.path("out-data").asText(""));
                String err = decode(status.path("err-data").asText(""));
                return new Exit(status.path("exitcode").asInt(-1), out, err);
            }
            if (Instant.now().isAfter(until)) throw new IOException(path + " did not end within " + timeout);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static String decode(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private String osName() {
        try {
            return GuestAgentReplies.osName(call("guest-get-osinfo", null));
        } catch (IOException e) {
            return ""; // older agents lack guest-get-osinfo
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
