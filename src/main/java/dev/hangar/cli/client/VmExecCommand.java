package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hangar vm exec VM -- COMMAND...}: a command run in the guest through its agent (POST /vms/ID/exec). */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = "Run a command in a running VM's guest through its agent; prints its output and exits with its exit code.",
        footer = {"", "Examples:", "  hangar vm exec web1 -- uname -a", "  hangar vm exec web1 --timeout 120 -- sh -c 'apt-get update'"})
final class VmExecCommand extends VmPowerCommands.PowerCommand {
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND", description = "the program and its arguments (after --)")
    java.util.List<String> command;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "how long the command may run (default: ${DEFAULT-VALUE})")
    int timeout;

    @Override
    Integer execute() {
        var body = HangarClient.JSON.createObjectNode().put("timeout", timeout);
        var args = body.putArray("command");
        command.forEach(args::add);
        JsonNode exit = client().post("/vms/" + id() + "/exec", body);
        out().print(exit.path("stdout").asText());
        out().flush();
        err().print(exit.path("stderr").asText());
        err().flush();
        return exit.path("exit_code").asInt(1);
    }
}
