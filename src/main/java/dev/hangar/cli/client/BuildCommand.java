package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one build by id.", footer = {"", "Example:", "  hangar build show 6c1d... -o json"})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the image's id")
        String id;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            if (!VmCommand.isUuid(id)) throw new HangarClient.Failure(404, "image-not-found", "no build has the id " + id);
            for (String c : COLLECTIONS) {
                JsonNode answer;
                try {
                    answer = client().get("/imagefactory/" + c + "/" + id);
                } catch (HangarClient.Failure f) {
                    if (f.status() == 404) continue;
                    throw f;
                }
                JsonNode i = answer.properties().iterator().next().getValue();
                if (output == VmCommand.Output.json) {
                    printJson(answer);
                    return 0;
                }
                Table t = new Table("field", "value");
                t.row("kind", kind(c)).row("id", Formats.text(i, "id")).row("status", Formats.text(i, "status"))
                        .row("percent", Formats.text(i, "percent_complete") + "%")
                        .row("activity", i.path("status_detail").path("activity").asText(""))
                        .row("error", i.path("status_detail").path("error").asText(""))
                        .row("target", Formats.text(i, "target")).row("provider", Formats.text(i, "provider"))
                        .row("identifier", Formats.text(i, "identifier_on_provider"))
                        .row("created", Formats.text(i, "created")).row("updated", Formats.text(i, "updated"));
                out().print(t.render());
                return 0;
            }
            throw new HangarClient.Failure(404, "image-not-found", "no build has the id " + id);
        }
    }
}
