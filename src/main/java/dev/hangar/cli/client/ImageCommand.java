package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code hangar image ...}: the gold image cache (GET /images, POST /images/prune). */
@Command(name = "image", mixinStandardHelpOptions = true, description = "List and prune the gold image cache.",
        subcommands = {ImageCommand.ListImages.class, ImageCommand.Prune.class},
        footer = {"", "Examples:", "  hangar image list", "  hangar image prune"})
public final class ImageCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list or prune");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List cached gold images, least recently used first, with their size and the VMs using them.",
            footer = {"", "Example:", "  hangar image list -o json"})
    static final class ListImages extends ClientCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode answer = client().get("/images");
            if (output == VmCommand.Output.json) {
                printJson(answer);
                return 0;
            }
            out().print(table(answer, Instant.now()));
            return 0;
        }

        static String table(JsonNode answer, Instant now) {
            Table t = new Table("key", "size", "vms", "last used");
            for (JsonNode i : answer.path("images")) {
                t.row(Formats.text(i, "key"), Formats.bytes(i.path("bytes").asLong()), Formats.text(i, "vms"),
                        Formats.age(Formats.text(i, "last_used"), now) + " ago");
            }
            String limit = answer.path("limit_bytes").isNumber() ? " of " + Formats.bytes(answer.get("limit_bytes").asLong()) : "";
            return t.render() + "total " + Formats.bytes(answer.path("bytes").asLong()) + limit + "\n";
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove every gold image no VM uses.", footer = {"", "Example:", "  hangar image prune"})
    static final class Prune extends ClientCommand {
        @Override
        Integer execute() {
            JsonNode answer = client().post("/images/prune", HangarClient.JSON.createObjectNode());
            for (JsonNode i : answer.path("removed")) out().println("removed " + i.path("key").asText());
            out().println("freed " + Formats.bytes(answer.path("freed_bytes").asLong()));
            return 0;
        }
    }
}
