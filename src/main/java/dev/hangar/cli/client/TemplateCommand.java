package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code hangar template ...}: named VM settings (/templates) that groups are kept at a size from. */
@Command(name = "template", mixinStandardHelpOptions = true, description = "List, show, create and delete templates (named VM settings groups use).",
        subcommands = {TemplateCommand.ListTemplates.class, TemplateCommand.Show.class, TemplateCommand.Create.class,
                TemplateCommand.Delete.class},
        footer = {"", "Examples:", "  hangar template list",
                "  hangar template create web --image https://images.example/debian-12.tar.gz \\",
                "      --checksum 9f86d0... --memory 1GiB --tag role=web --tag ssh_user=debian"})
public final class TemplateCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list, show, create or delete");
    }

    static String path(String name) {
        return "/templates/" + HangarClient.escape(name);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List templates: name, image, cpus, memory, disks, networks, tags and age.",
            footer = {"", "Examples:", "  hangar template list", "  hangar template list -o json"})
    static final class ListTemplates extends ClientCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode templates = client().get("/templates");
            if (output == VmCommand.Output.json) printJson(templates);
            else out().print(table(templates, Instant.now()));
            return 0;
        }

        static String table(JsonNode templates, Instant now) {
            Table t = new Table("name", "image", "cpus", "memory", "disks", "networks", "tags", "age");
            for (JsonNode tp : templates) {
                t.row(Formats.text(tp, "name"), Formats.image(tp.get("image")), Formats.text(tp, "cpus"), Formats.text(tp, "memory"),
                        HostCommand.gib(tp.path("disks")), String.join(",", VmCommand.texts(tp.path("networks"))),
                        VmCommand.tagsText(tp.path("tags")), Formats.age(Formats.text(tp, "created_at"), now));
            }
            return t.render();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one template by name.",
            footer = {"", "Examples:", "  hangar template show web", "  hangar template show web -o json"})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the template's name")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode tp = client().get(path(name));
            if (output == VmCommand.Output.json) {
                printJson(tp);
                return 0;
            }
            JsonNode image = tp.path("image");
            Table t = new Table("field", "value");
            t.row("name", Formats.text(tp, "name")).row("image", image.path("url").asText(Formats.image(tp.get("image"))))
                    .row("checksum", image.path("checksum_type").asText("") + (image.has("checksum") ? ":" + image.get("checksum").asText() : ""))
                    .row("cpus", Formats.text(tp, "cpus")).row("memory", Formats.text(tp, "memory"))
                    .row("disks", HostCommand.gib(tp.path("disks"))).row("networks", String.join(",", VmCommand.texts(tp.path("networks"))))
                    .row("tags", VmCommand.tagsText(tp.path("tags"))).row("user-data", tp.path("user_data_set").asBoolean() ? "yes" : "no")
                    .row("gui", Formats.text(tp, "launch_gui")).row("created", Formats.text(tp, "created_at"))
                    .row("updated", Formats.text(tp, "updated_at"));
            out().print(t.render());
            return 0;
        }
    }

    /** An image by URL and checksum, or a library image by name. */
    static final class Source {
        @ArgGroup(exclusive = false)
        VmSpecOptions.Image url;

        @Option(names = "--library", required = true, paramLabel = "NAME", description = "a library image by name, instead of --image")
        String library;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a template: the settings of the VMs a group keeps. Nothing boots.",
            footer = {"", "Examples:",
                    "  hangar template create web --image https://images.example/debian-12.tar.gz \\",
                    "      --checksum 9f86d0... --cpus 2 --memory 1GiB --tag ssh_user=debian",
                    "  hangar template create ci --library debian-12 --disk 20 --network nat",
                    "  hangar group list",
                    "", "Exit status: 0 created, 1 failed (template-exists, invalid-..., with the message), 2 usage."})
    static final class Create extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the template's name")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Mixin
        VmSpecOptions.Shape shape;

        @Mixin
        VmSpecOptions.Guest guest;

        @Option(names = "--disk", paramLabel = "GB", description = "an extra blank disk of this many GiB (repeatable)")
        List<Long> disks = new ArrayList<>();

        @Option(names = "--network", paramLabel = "NAME", description = "a NIC on this network (repeatable; default: the service's)")
        List<String> networks = new ArrayList<>();

        @Option(names = "--gui", description = "give its VMs a graphical screen (launch_gui)")
        boolean gui;

        @Override
        Integer execute() {
            JsonNode created = client().post("/templates", body(shape.tags(spec.commandLine()), guest.userData(spec.commandLine())));
            out().println("created template " + Formats.text(created, "name"));
            return 0;
        }

        ObjectNode body(Map<String, String> tagMap, String userDataText) {
            ObjectNode b = HangarClient.JSON.createObjectNode().put("name", name);
            if (source.library != null) b.putObject("image").put("library", source.library);
            else source.url.putInto(b);
            shape.putCpus(b);
            guest.putMemory(b);
            if (!disks.isEmpty()) disks.forEach(b.putArray("disks")::add);
            if (!networks.isEmpty()) networks.forEach(b.putArray("networks")::add);
            if (!tagMap.isEmpty()) b.set("tags", HangarClient.JSON.valueToTree(tagMap));
            if (userDataText != null) b.put("user_data", userDataText);
            if (gui) b.put("launch_gui", true);
            return b;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a template no group uses.",
            footer = {"", "Example:", "  hangar template delete web"})
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the template's name")
        String name;

        @Override
        Integer execute() {
            client().delete(path(name));
            out().println("deleted template " + name);
            return 0;
        }
    }
}
