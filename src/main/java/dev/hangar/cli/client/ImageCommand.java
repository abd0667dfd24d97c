package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code hangar image ...}: the gold image cache (GET /images, GET /images/KEY, PUT /images/KEY/warm, POST /images/prune). */
@Command(name = "image", mixinStandardHelpOptions = true, description = "List, show, warm and prune the gold image cache.",
        subcommands = {ImageCommand.ListImages.class, ImageCommand.Show.class, ImageCommand.Warm.class, ImageCommand.Prune.class},
        footer = {"", "Examples:", "  hangar image list", "  hangar image warm sha256-e1a4... --on", "  hangar image prune"})
public final class ImageCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list, show, warm or prune");
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

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one cached image: its size, its VMs, its warm settings and templates.",
            footer = {"", "Example:", "  hangar image show sha256-e1a4..."})
    static final class Show extends ClientCommand {
        @picocli.CommandLine.Parameters(paramLabel = "KEY", description = "the image's key, as hangar image list shows it")
        String key;

        @Override
        Integer execute() {
            printJson(client().get("/images/" + HangarClient.escape(key)));
            return 0;
        }
    }

    @Command(name = "warm", mixinStandardHelpOptions = true,
            description = "Start VMs of this image warm, from memory templates (--on), or boot them (--off); see docs/warm-starts.md.",
            footer = {"", "Examples:", "  hangar image warm sha256-e1a4... --on", "  hangar image warm sha256-e1a4... --off"})
    static final class Warm extends ClientCommand {
        @picocli.CommandLine.Parameters(paramLabel = "KEY", description = "the image's key, as hangar image list shows it")
        String key;

        @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        Switch to;

        static final class Switch {
            @Option(names = "--on", required = true, description = "creates start warm") boolean on;
            @Option(names = "--off", required = true, description = "creates boot cold") boolean off;
        }

        @Option(names = "--pool", paramLabel = "N", defaultValue = "0", description = "paused spares to keep ready, which plain creates on nat take (default: ${DEFAULT-VALUE})")
        int pool;

        @Override
        Integer execute() {
            var body = HangarClient.JSON.createObjectNode().put("enabled", to.on).put("pool", pool);
            JsonNode answer = client().put("/images/" + HangarClient.escape(key) + "/warm", body);
            out().println(key + ": " + (answer.path("enabled").asBoolean() ? "warm" : "cold")
                    + (answer.path("pool").asInt() > 0 ? ", pool " + answer.path("pool").asInt() + " (" + answer.path("pool_ready").asInt() + " ready)" : ""));
            for (JsonNode t : answer.path("templates")) {
                out().println("  template " + t.path("key").asText() + " " + t.path("state").asText()
                        + (t.has("shape") ? " (" + t.path("shape").asText() + ")" : "") + (t.has("reason") ? ": " + t.path("reason").asText() : ""));
            }
            return 0;
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
