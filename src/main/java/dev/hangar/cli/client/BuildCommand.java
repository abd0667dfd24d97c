package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code hangar build ...}: Image Factory's builds (v2: base, target and provider images). */
@Command(name = "build", mixinStandardHelpOptions = true, description = "List and show Image Factory builds (base, target and provider images).",
        subcommands = {BuildCommand.ListBuilds.class, BuildCommand.Show.class},
        footer = {"", "Examples:", "  hangar build list", "  hangar build show 6c1d..."})
public final class BuildCommand implements Runnable {
    /** Image Factory v2's collections, in the order images are made from one another. */
    static final List<String> COLLECTIONS = List.of("base_images", "target_images", "provider_images");

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list or show");
    }

    static String kind(String collection) {
        return collection.substring(0, collection.indexOf('_'));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List builds: kind, id, status, percent complete, activity and age.",
            footer = {"", "Example:", "  hangar build list"})
    static final class ListBuilds extends ClientCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            ArrayNode all = HangarClient.JSON.createArrayNode();
            Table t = new Table("kind", "id", "status", "percent", "activity", "age");
            Instant now = Instant.now();
            for (String c : COLLECTIONS) {
                for (JsonNode i : client().get("/imagefactory/" + c).path(c)) {
                    all.add(i);
                    t.row(kind(c), Formats.text(i, "id"), Formats.text(i, "status"), Formats.text(i, "percent_complete") + "%",
                            i.path("status_detail").path("activity").asText(""), Formats.age(Formats.text(i, "created"), now));
                }
            }
            if (output == VmCommand.Output.json) printJson(all);
            else out().print(t.render());
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one build by id; --wait follows its percent until it is done.",
            footer = {"", "Examples:", "  hangar build show 6c1d... -o json", "  hangar build show 6c1d... --wait",
                    "", "Exit status: 0 shown (with --wait: COMPLETE), 1 failed (with --wait: the build FAILED; its error), 2 usage."})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the image's id")
        String id;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Option(names = "--wait", description = "poll the build every second (a progress line on a terminal) until it is COMPLETE or FAILED, then show it")
        boolean await;

        @Override
        Integer execute() throws InterruptedException {
            if (!VmCommand.isUuid(id)) throw new HangarClient.Failure(404, "image-not-found", "no build has the id " + id);
            String collection = collectionOf(id);
            JsonNode answer = client().get("/imagefactory/" + collection + "/" + id);
            if (await) {
                boolean terminal = interactive();
                Instant start = Instant.now();
                String shown = "";
                while (!isDone(image(answer))) {
                    String line = progressLine(image(answer), Duration.between(start, Instant.now()));
                    if (terminal && !line.equals(shown)) {
                        out().print("\r" + line + "\033[K");
                        out().flush();
                        shown = line;
                    }
                    Thread.sleep(1000);
                    answer = client().get("/imagefactory/" + collection + "/" + id);
                }
                if (terminal) out().print("\r\033[K");
            }
            JsonNode i = image(answer);
            if (output == VmCommand.Output.json) printJson(answer);
            else out().print(table(collection, i));
            if (await && !"COMPLETE".equals(Formats.text(i, "status"))) {
                out().flush();
                String error = i.path("status_detail").path("error").asText("");
                throw new HangarClient.Failure(0, "build-failed", "build " + id + " is " + Formats.text(i, "status")
                        + (error.isEmpty() ? "" : ": " + error));
            }
            return 0;
        }

        /** Which collection holds the id: each is asked in turn. */
        private String collectionOf(String id) {
            for (String c : COLLECTIONS) {
                try {
                    client().get("/imagefactory/" + c + "/" + id);
                    return c;
                } catch (HangarClient.Failure f) {
                    if (f.status() != 404) throw f;
                }
            }
            throw new HangarClient.Failure(404, "image-not-found", "no build has the id " + id);
        }

        static String table(String collection, JsonNode i) {
            Table t = new Table("field", "value");
            t.row("kind", kind(collection)).row("id", Formats.text(i, "id")).row("status", Formats.text(i, "status"))
                    .row("percent", Formats.text(i, "percent_complete") + "%")
                    .row("activity", i.path("status_detail").path("activity").asText(""))
                    .row("error", i.path("status_detail").path("error").asText(""))
                    .row("target", Formats.text(i, "target")).row("provider", Formats.text(i, "provider"))
                    .row("identifier", Formats.text(i, "identifier_on_provider"))
                    .row("created", Formats.text(i, "created")).row("updated", Formats.text(i, "updated"));
            return t.render();
        }
    }

    /** The image inside Image Factory's answer {"base_image": {...}}. */
    static JsonNode image(JsonNode answer) {
        return answer.properties().iterator().next().getValue();
    }

    /** Whether a build has stopped changing: Image Factory's final words. */
    static boolean isDone(JsonNode image) {
        return switch (Formats.text(image, "status")) {
            case "COMPLETE", "FAILED", "DELETED", "DELETEFAILED" -> true;
            default -> false;
        };
    }

    /** "building  [##########..............]  42%  installing packages  1m05s". */
    static String progressLine(JsonNode image, Duration elapsed) {
        int percent = Math.max(0, Math.min(100, image.path("percent_complete").asInt(0)));
        int filled = percent * CreateProgress.BAR_WIDTH / 100;
        String activity = image.path("status_detail").path("activity").asText("");
        return String.format("%s  [%s%s] %3d%%%s  %s", Formats.text(image, "status").toLowerCase(java.util.Locale.ROOT), "#".repeat(filled),
                ".".repeat(CreateProgress.BAR_WIDTH - filled), percent, activity.isEmpty() ? "" : "  " + activity, Formats.duration(elapsed));
    }
}
