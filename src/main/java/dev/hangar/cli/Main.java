package dev.hangar.cli;

import dev.hangar.cli.client.BuildCommand;
import dev.hangar.cli.client.CompletionCommand;
import dev.hangar.cli.client.GroupCommand;
import dev.hangar.cli.client.HangarClient;
import dev.hangar.cli.client.HostCommand;
import dev.hangar.cli.client.ImageCommand;
import dev.hangar.cli.client.NetworkCommand;
import dev.hangar.cli.client.TemplateCommand;
import dev.hangar.cli.client.VmCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hangar} command. */
@Command(name = "hangar", mixinStandardHelpOptions = true, version = "hangar 0.1.0",
        description = "Builds and runs virtual machines on demand from cached gold images.",
        subcommands = {ServeCommand.class, VmCommand.class, HostCommand.class, NetworkCommand.class, TemplateCommand.class, GroupCommand.class,
                BuildCommand.class, ImageCommand.class, CompletionCommand.class},
        footer = {"", "Examples:", "  hangar serve", "  hangar vm create --image URL --checksum HEX --wait", "  hangar vm list",
                "", "Exit status: 0 done, 1 failed (the error's code and message), 2 usage."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with the service's refusals printed as {@code hangar: CODE: MESSAGE} and exit status 1. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (!(e instanceof HangarClient.Failure f)) throw e;
            commandLine.getErr().println("hangar: " + f.code() + ": " + f.getMessage());
            commandLine.getErr().flush();
            return 1;
        });
        return cli;
    }
}
