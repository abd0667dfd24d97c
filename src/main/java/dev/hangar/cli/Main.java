package dev.hangar.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hangar} command. */
@Command(name = "hangar", mixinStandardHelpOptions = true, version = "hangar 0.1.0",
        description = "Builds and runs virtual machines on demand from cached gold images.",
        subcommands = {ServeCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
