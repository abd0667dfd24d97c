package dev.hangar.cli.client;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code hangar completion}: the bash (and zsh) completion script picocli generates from the commands themselves. */
@Command(name = "completion", mixinStandardHelpOptions = true, description = "Print a bash completion script for hangar (zsh reads it too, after bashcompinit).",
        footer = {"", "Examples:", "  source <(hangar completion)",
                "  hangar completion > /etc/bash_completion.d/hangar"})
public final class CompletionCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().print(AutoComplete.bash("hangar", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
    }
}
