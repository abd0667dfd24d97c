package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar host ...}: the staging agent's hosts (/hosts): named VMs with blank disks that install
 * from an install tree, boot an image, or wait blank for PXE. Every named VM is a host.
 */
@Command(name = "host", mixinStandardHelpOptions = true, description = "List, show, create, start and delete hosts (named VMs, the staging agent's /hosts).",
        subcommands = {HostCommand.ListHosts.class, HostCommand.Show.class, HostCommand.Create.class, HostCommand.Start.class,
                HostCommand.Delete.class},
        footer = {"", "Examples:", "  hangar host list",
                "  hangar host create db1 --memory 2048 --disk 20 --network vlan:292 \\",
                "      --location http://deb.example/debian/ --cmdline 'auto=true'"})
public final class HostCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list, show, create, start or delete");
    }

    static String path(String name) {
        return "/hosts/" + HangarClient.escape(name);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List hosts: name, state (libvirt's words), number, memory, disks, networks, IP.",
            footer = {"", "Examples:", "  hangar host list", "  hangar host list -o json"})
    static final class ListHosts extends ClientCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode hosts = client().get("/hosts");
            if (output == VmCommand.Output.json) printJson(hosts);
            else out().print(table(hosts));
            return 0;
        }

        static String table(JsonNode hosts) {
            Table t = new Table("name", "state", "id", "memory", "disks", "networks", "ip");
            for (JsonNode h : hosts) {
                t.row(Formats.text(h, "name"), Formats.text(h, "state"), Formats.text(h, "id"), mib(h), gib(h.path("disks")),
                        String.join(",", VmCommand.texts(h.path("networks"))), Formats.text(h, "ip_address"));
            }
            return t.render();
        }
    }

    static String mib(JsonNode host) {
        return host.path("memory").isNumber() ? host.get("memory").asLong() + " MiB" : "";
    }

    /** Disk sizes in GiB: "20G,100G". */
    static String gib(JsonNode disks) {
        List<String> sizes = new ArrayList<>();
        disks.forEach(d -> sizes.add(d.asText() + "G"));
        return String.join(",", sizes);
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one host by name.",
            footer = {"", "Examples:", "  hangar host show db1", "  hangar host show db1 -o json"})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the host's name")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode h = client().get(path(name));
            if (output == VmCommand.Output.json) {
                printJson(h);
                return 0;
            }
            Table t = new Table("field", "value");
            t.row("name", Formats.text(h, "name")).row("state", Formats.text(h, "state")).row("id", Formats.text(h, "id"))
                    .row("uuid", Formats.text(h, "uuid")).row("cpus", Formats.text(h, "cpus")).row("memory", mib(h))
                    .row("disks", gib(h.path("disks"))).row("networks", String.join(",", VmCommand.texts(h.path("networks"))))
                    .row("ip", Formats.text(h, "ip_address"));
            if (h.hasNonNull("error")) t.row("error", h.get("error").path("code").asText() + ": " + h.get("error").path("message").asText());
            out().print(t.render());
            return 0;
        }
    }

    /** How a host boots: an install tree, an image, or neither (blank, for PXE). */
    static final class Boot {
        @ArgGroup(exclusive = false)
        Install install;

        @ArgGroup(exclusive = false)
        VmSpecOptions.Image image;
    }

    static final class Install {
        @Option(names = "--location", required = true, paramLabel = "URL", description = "install from this install tree (a Debian netboot tree, say)")
        String location;

        @Option(names = "--cmdline", paramLabel = "ARGS", description = "the installer's kernel command line (with --location)")
        String cmdline;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a host: blank disks on networks, installed from --location, booted from --image, or left blank "
                    + "(it boots and waits for PXE).", "An installing host reads running until its installer powers it off "
                    + "(state \"shut off\"); `hangar host start` boots it from its disk."},
            footer = {"", "Examples:",
                    "  hangar host create db1 --memory 2048 --disk 20 --disk 100 \\",
                    "      --network vlan:292 --location http://deb.example/debian/ \\",
                    "      --cmdline 'auto=true url=http://deb.example/preseed.cfg'",
                    "  hangar host create pxe1 --memory 512 --disk 10 --network nat",
                    "", "Exit status: 0 created, 1 failed (host-exists, invalid-..., with the message), 2 usage."})
    static final class Create extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the host's name (a hostname)")
        String name;

        @Option(names = "--memory", required = true, paramLabel = "MB", description = "memory in MB")
        int memory;

        @Option(names = "--disk", required = true, paramLabel = "GB", description = "a blank disk of this many GB (repeatable, in order)")
        List<Long> disks = new ArrayList<>();

        @Option(names = "--network", required = true, paramLabel = "NAME", description = "a NIC on this network (repeatable, in order)")
        List<String> networks = new ArrayList<>();

        @Mixin
        VmSpecOptions.Shape shape;

        @ArgGroup(exclusive = true)
        Boot boot = new Boot();

        @Override
        Integer execute() {
            client().post(path(name), body(shape.tags(spec.commandLine())));
            out().println("created host " + name);
            return 0;
        }

        ObjectNode body(java.util.Map<String, String> tagMap) {
            ObjectNode b = HangarClient.JSON.createObjectNode().put("memory", memory);
            disks.forEach(b.putArray("disks")::add);
            networks.forEach(b.putArray("networks")::add);
            shape.putCpus(b);
            if (!tagMap.isEmpty()) b.set("tags", HangarClient.JSON.valueToTree(tagMap));
            b.put("install", boot.install != null);
            if (boot.install != null) {
                b.put("location", boot.install.location);
                if (boot.install.cmdline != null) b.put("cmdline", boot.install.cmdline);
            }
            if (boot.image != null) boot.image.putInto(b);
            return b;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a host that is shut off (after its installer powered it off).",
            footer = {"", "Example:", "  hangar host start db1"})
    static final class Start extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the host's name")
        String name;

        @Override
        Integer execute() {
            client().put(path(name) + "/start", HangarClient.JSON.createObjectNode());
            out().println("starting host " + name);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a host: it is powered off and its disks removed.",
            footer = {"", "Example:", "  hangar host delete db1"})
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the host's name")
        String name;

        @Override
        Integer execute() {
            client().delete(path(name));
            out().println("deleting host " + name);
            return 0;
        }
    }
}
