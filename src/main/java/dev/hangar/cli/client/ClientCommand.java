package dev.hangar.cli.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** What every client command has: the service's options, the client they make, and its output. */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private HangarClient client;

    /** The command's work; its exit status. */
    abstract Integer execute() throws Exception;

    /**
     * Runs the command and flushes what it printed: picocli's writers flush themselves only on println,
     * and System.exit would drop a table printed with print.
     */
    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } finally {
            out().flush();
            err().flush();
        }
    }

    HangarClient client() {
        if (client == null) {
            try {
                client = options.client(System.getenv(), spec.commandLine());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return client;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void printJson(JsonNode node) {
        try {
            out().println(HangarClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out().flush();
    }

    /**
     * Whether someone watches a terminal. Up to JDK 21 System.console() is null when a stream is
     * redirected; from JDK 22 it may not be, and Console.isTerminal() (asked reflectively: we build for
     * 21) tells.
     */
    static boolean interactive() {
        java.io.Console console = System.console();
        if (console == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
