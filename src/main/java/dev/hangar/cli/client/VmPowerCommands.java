package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar vm start|stop|restart|suspend|resume VM}: a VM's power, by id or name. Stop and restart
 * are operations on the server; they wait for it unless {@code --no-wait}, and exit 1 when it failed.
 */
final class VmPowerCommands {
    private VmPowerCommands() {}

    /** What every power command takes: the VM. */
    abstract static class PowerCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID|NAME", description = "the VM's id or name")
        String vm;

        String id() {
            return VmCommand.find(client(), vm).path("id").asText();
        }

        /** Prints the VM's status as the server answered it. */
        Integer said(JsonNode answer) {
            out().println(answer.path("id").asText() + " " + answer.path("status").asText());
            return 0;
        }
    }

    /** Stop and restart: the power button, a grace, then a hard stop; an operation to wait for. */
    abstract static class PowerOff extends PowerCommand {
        @Option(names = "--force", description = "a hard stop at once, no power button")
        boolean force;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
                description = "how long the guest has to power off after the power button, then a hard stop (default: ${DEFAULT-VALUE})")
        int timeout;

        @Option(names = "--no-wait", description = "return once the server has accepted it")
        boolean noWait;

        Integer run(String action) {
            String id = id();
            var body = HangarClient.JSON.createObjectNode().put("force", force).put("timeout", timeout);
            JsonNode op = client().post("/vms/" + id + "/" + action, body);
            if (noWait) {
                out().println(action + " of " + id + ": " + op.path("operation").asText());
                return 0;
            }
            JsonNode done = op;
            while (done.path("status").asText().equals("running")) {
                done = client().get("/operations/" + HangarClient.escape(op.path("id").asText()) + "/wait?timeout=60");
            }
            if (!done.path("status").asText().equals("succeeded")) {
                err().println("hangar: " + action + " of " + id + " failed: " + done.path("error").path("code").asText() + ": "
                        + done.path("error").path("message").asText());
                return 1;
            }
            return said(client().get("/vms/" + id));
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Boot a powered-off VM from its disks.",
            footer = {"", "Example:", "  hangar vm start web1"})
    static final class Start extends PowerCommand {
        @Override
        Integer execute() {
            return said(client().post("/vms/" + id() + "/start", HangarClient.JSON.createObjectNode()));
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Power a VM off: the ACPI power button, then a hard stop after --timeout (at once with --force). It keeps its disks.",
            footer = {"", "Examples:", "  hangar vm stop web1", "  hangar vm stop web1 --force"})
    static final class Stop extends PowerOff {
        @Override
        Integer execute() {
            return run("stop");
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Power a VM off as stop does, then boot it again.",
            footer = {"", "Example:", "  hangar vm restart web1 --timeout 10"})
    static final class Restart extends PowerOff {
        @Override
        Integer execute() {
            return run("restart");
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true, description = "Stop a running VM's CPUs, its memory kept.",
            footer = {"", "Example:", "  hangar vm suspend web1"})
    static final class Suspend extends PowerCommand {
        @Override
        Integer execute() {
            return said(client().post("/vms/" + id() + "/suspend", HangarClient.JSON.createObjectNode()));
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Run a suspended VM again from where it stood.",
            footer = {"", "Example:", "  hangar vm resume web1"})
    static final class Resume extends PowerCommand {
        @Override
        Integer execute() {
            return said(client().post("/vms/" + id() + "/resume", HangarClient.JSON.createObjectNode()));
        }
    }
}
