package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code hangar group ...}: groups kept at a size (GET /groups, PUT /groups/NAME/size). */
@Command(name = "group", mixinStandardHelpOptions = true, description = "List, show and scale groups of VMs kept at a size.",
        subcommands = {GroupCommand.ListGroups.class, GroupCommand.Show.class, GroupCommand.Scale.class},
        footer = {"", "Examples:", "  hangar group list", "  hangar group scale web 5"})
public final class GroupCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list, show or scale");
    }

    static String path(String name) {
        return "/groups/" + HangarClient.escape(name);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List groups: their size, members, ready members and plan.", footer = {"", "Example:", "  hangar group list"})
    static final class ListGroups extends ClientCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode groups = client().get("/groups");
            if (output == VmCommand.Output.json) {
                printJson(groups);
                return 0;
            }
            Table t = new Table("name", "size", "actual", "ready", "outdated", "plan");
            for (JsonNode g : groups) {
                t.row(Formats.text(g, "name"), Formats.text(g, "size"), Formats.text(g, "actual"), Formats.text(g, "ready"),
                        Formats.text(g, "outdated"), Formats.text(g, "plan"));
            }
            out().print(t.render());
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a group, its members and its recent events.", footer = {"", "Example:", "  hangar group show web"})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the group's name")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode g = client().get(path(name));
            if (output == VmCommand.Output.json) {
                printJson(g);
                return 0;
            }
            out().println("group " + Formats.text(g, "name") + ": size " + Formats.text(g, "size") + ", " + Formats.text(g, "actual")
                    + " members, " + Formats.text(g, "ready") + " ready; plan: " + Formats.text(g, "plan"));
            Table members = new Table("id", "name", "status", "ip", "outdated", "age");
            Instant now = Instant.now();
            for (JsonNode m : g.path("members")) {
                members.row(Formats.text(m, "id"), Formats.text(m, "name"), Formats.text(m, "status"), Formats.text(m, "ip_address"),
                        Formats.text(m, "outdated"), Formats.age(Formats.text(m, "created_at"), now));
            }
            out().print(members.render());
            for (JsonNode e : g.path("events")) out().println(Formats.text(e, "at") + "  " + Formats.text(e, "message"));
            return 0;
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true, description = "Set the number of members a group keeps.", footer = {"", "Example:", "  hangar group scale web 5"})
    static final class Scale extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "the group's name")
        String name;

        @Parameters(index = "1", paramLabel = "N", description = "the new size")
        int size;

        @Override
        Integer execute() {
            JsonNode g = client().put(path(name) + "/size", HangarClient.JSON.createObjectNode().put("size", size));
            out().println("group " + Formats.text(g, "name") + ": size " + Formats.text(g, "size") + " (now " + Formats.text(g, "actual")
                    + "); plan: " + Formats.text(g, "plan"));
            return 0;
        }
    }
}
