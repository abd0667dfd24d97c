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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hangar} command. */
@Command(name = "hangar", mixinStandardHelpOptions = true, version = "hangar 0.1.0",
        description = "Builds and runs virtual machines on demand from cached gold images.",
        footer = {"", "Examples:", "  hangar serve", "  hangar vm create --image URL --checksum HEX --wait", "  hangar vm list",
                "", "Exit status: 0 done, 1 failed (the error's code and message), 2 usage."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The commands, in the order help lists them. */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("serve", ServeCommand::new);
        COMMANDS.put("vm", VmCommand::new);
        COMMANDS.put("host", HostCommand::new);
        COMMANDS.put("network", NetworkCommand::new);
        COMMANDS.put("template", TemplateCommand::new);
        COMMANDS.put("group", GroupCommand::new);
        COMMANDS.put("build", BuildCommand::new);
        COMMANDS.put("image", ImageCommand::new);
        COMMANDS.put("completion", CompletionCommand::new);
        COMMANDS.put("aot-training", TrainingCommand::new); // hidden: the build's AOT cache's training run
    }

    public static void main(String[] args) {
        System.exit(commandLine(args.length == 0 ? null : args[0]).execute(args));
    }

    /** The whole command line: every command (help, completion and tests see them all). */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line, with the service's refusals printed as {@code hangar: CODE: MESSAGE} and exit
     * status 1. When {@code first} names a command, only that command's branch is built: picocli reads
     * every command's annotations when it is added, and the whole tree cost a client command about a
     * quarter of its start's CPU (bench/cli-overhead). Anything else (no command, an option, a typo,
     * completion) gets the whole tree, so help and suggestions list everything.
     */
    public static CommandLine commandLine(String first) {
        CommandLine cli = new CommandLine(new Main());
        boolean one = first != null && COMMANDS.containsKey(first) && !first.equals("completion");
        for (Map.Entry<String, Supplier<Object>> c : COMMANDS.entrySet()) {
            if (!one || c.getKey().equals(first)) cli.addSubcommand(c.getKey(), c.getValue().get());
        }
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (!(e instanceof HangarClient.Failure f)) throw e;
            commandLine.getErr().println("hangar: " + f.code() + ": " + f.getMessage());
            commandLine.getErr().flush();
            return 1;
        });
        return cli;
    }
}
