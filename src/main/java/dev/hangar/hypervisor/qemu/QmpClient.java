package dev.hangar.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A QEMU Machine Protocol session: greeting, capabilities negotiation, then commands, each answered by
 * a "return" or an "error". Asynchronous events may arrive in between and are skipped.
 * A session is short: open, a command or two, close. QEMU answers in well under a millisecond.
 */
public final class QmpClient implements AutoCloseable {
    private final JsonLineSocket socket;

    private QmpClient(JsonLineSocket socket) {
        this.socket = socket;
    }

    public static QmpClient connect(Path qmpSocket, Duration timeout) throws IOException {
        JsonLineSocket s = new JsonLineSocket(qmpSocket, timeout);
        try {
            JsonNode greeting = s.receive();
            if (!greeting.has("QMP")) throw new QmpException("not a QMP greeting: " + greeting);
            QmpClient c = new QmpClient(s);
            c.execute("qmp_capabilities");
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Runs a command and returns its "return" value; a QMP "error" becomes a {@link QmpException}. */
    public JsonNode execute(String command) throws IOException {
        return execute(command, null);
    }

    /** As {@link #execute(String)}, with the command's arguments (null for none). */
    public JsonNode execute(String command, com.fasterxml.jackson.databind.node.ObjectNode arguments) throws IOException {
        var message = JsonLineSocket.JSON.createObjectNode().put("execute", command);
        if (arguments != null) message.set("arguments", arguments);
        socket.send(message);
        while (true) {
            JsonNode reply = socket.receive();
            if (reply.has("return")) return reply.get("return");
            if (reply.has("error")) {
                throw new QmpException(command + ": " + reply.path("error").path("desc").asText(reply.toString()));
            }
            // an event ({"event": ...}): not the answer we wait for
        }
    }

    /** The guest's run state as QMP names it: running, paused, suspended, shutdown, ... */
    public String status() throws IOException {
        return execute("query-status").path("status").asText();
    }

    @Override
    public void close() {
        socket.close();
    }

    public static final class QmpException extends IOException {
        QmpException(String message) {
            super(message);
        }
    }
}
