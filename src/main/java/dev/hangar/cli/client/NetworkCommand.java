package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar network ...}: defined networks (/networks): Open vSwitch bridges with an optional VLAN
 * tag and subnet. Hangar's built-in networks (nat, host-only, bridged) are not listed; VMs and hosts
 * join them by name all the same.
 */
@Command(name = "network", mixinStandardHelpOptions = true, description = "List, show, create and delete networks (Open vSwitch bridges, a VLAN each).",
        subcommands = {NetworkCommand.ListNetworks.class, NetworkCommand.Show.class, NetworkCommand.Create.class, NetworkCommand.Delete.class},
        footer = {"", "Examples:", "  hangar network list", "  hangar network create vlan:292 --bridge br-staging --vlan 292"})
public final class NetworkCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: list, show, create or delete");
    }

    static String path(String name) {
        return "/networks/" + HangarClient.escape(name);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List defined networks: name, bridge, VLAN, subnet and state.",
            footer = {"", "Examples:", "  hangar network list", "  hangar network list -o json"})
    static final class ListNetworks extends ClientCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode networks = client().get("/networks");
            if (output == VmCommand.Output.json) printJson(networks);
            else out().print(table(networks));
            return 0;
        }

        static String table(JsonNode networks) {
            Table t = new Table("name", "bridge", "vlan", "subnet", "state");
            for (JsonNode n : networks) {
                t.row(Formats.text(n, "name"), Formats.text(n, "bridge"), Formats.text(n, "vlan"), Formats.text(n, "subnet"), Formats.text(n, "state"));
            }
            return t.render();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one defined network by name.",
            footer = {"", "Examples:", "  hangar network show vlan:292", "  hangar network show vlan:292 -o json"})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the network's name")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        VmCommand.Output output;

        @Override
        Integer execute() {
            JsonNode n = client().get(path(name));
            if (output == VmCommand.Output.json) {
                printJson(n);
                return 0;
            }
            Table t = new Table("field", "value");
            for (String f : new String[] {"name", "bridge", "vlan", "subnet", "state", "autostart", "persistent"}) t.row(f, Formats.text(n, f));
            out().print(t.render());
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Define a network on an Open vSwitch bridge, optionally tagged with a VLAN; with --subnet, Hangar "
                    + "serves DHCP and DNS on it."},
            footer = {"", "Examples:", "  hangar network create vlan:292 --bridge br-staging --vlan 292",
                    "  hangar network create lab --bridge br-lab --subnet 10.50.0.0/24",
                    "", "Exit status: 0 created, 1 failed (network-exists, subnet-in-use, ..., with the message), 2 usage."})
    static final class Create extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the network's name (the staging agent's are vlan:N)")
        String name;

        @Option(names = "--bridge", required = true, paramLabel = "BRIDGE", description = "the Open vSwitch bridge (made when the first VM joins the network)")
        String bridge;

        @Option(names = "--vlan", paramLabel = "TAG", description = "the VLAN tag of the VMs' ports (1-4094)")
        Integer vlan;

        @Option(names = "--subnet", paramLabel = "CIDR", description = "serve DHCP and DNS on this subnet, e.g. 10.50.0.0/24")
        String subnet;

        @Override
        Integer execute() {
            client().post(path(name), body());
            out().println("created network " + name);
            return 0;
        }

        ObjectNode body() {
            ObjectNode b = HangarClient.JSON.createObjectNode().put("bridge", bridge);
            if (vlan != null) b.put("vlan", vlan);
            if (subnet != null) b.put("subnet", subnet);
            return b;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a defined network no VM uses.",
            footer = {"", "Example:", "  hangar network delete vlan:292"})
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the network's name")
        String name;

        @Override
        Integer execute() {
            client().delete(path(name));
            out().println("deleted network " + name);
            return 0;
        }
    }
}
