package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.function.BiConsumer;

/** Reads a text/event-stream: {@code event:} and {@code data:} lines, an empty line ends an event, {@code :} lines are comments. */
final class ServerSentEvents {
    private ServerSentEvents() {}

    static void read(BufferedReader lines, BiConsumer<String, JsonNode> onEvent) throws IOException {
        String type = "message";
        StringBuilder data = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) onEvent.accept(type, HangarClient.JSON.readTree(data.toString()));
                type = "message";
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                type = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                if (!data.isEmpty()) data.append('\n');
                data.append(line.substring(5).stripLeading());
            }
        }
    }
}
