package dev.hangar.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short-lived helper program (qemu-img, ip, iptables, ...) to completion and captures its output.
 * Long-lived processes (QEMU, dnsmasq) are not run through here: they detach and are tracked by PID.
 */
public final class Command {
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() { return exitCode == 0; }
    }

    /** The command failed or could not start; the message carries its stderr. */
    public static final class CommandException extends IOException {
        private final Result result;

        CommandException(String message, Result result) {
            super(message);
            this.result = result;
        }

        public Result result() { return result; }
    }

    private Command() {}

    /** Runs and returns the result whatever the exit code. */
    public static Result run(List<String> argv, Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new CommandException("cannot start " + argv.get(0) + ": " + e.getMessage(), null);
        }
        p.getOutputStream().close();
        // Read stderr on a virtual thread so neither pipe can fill up and block the child.
        var err = new StringBuilder();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process went away; what was read is kept
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new CommandException(String.join(" ", argv) + " timed out after " + timeout, null);
            }
            errReader.join();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.get(0), e);
        }
        return new Result(p.exitValue(), out, err.toString());
    }

    /** Runs and throws unless the command exits 0. */
    public static Result check(List<String> argv, Duration timeout) throws IOException {
        Result r = run(argv, timeout);
        if (!r.ok()) {
            throw new CommandException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderr().strip(), r);
        }
        return r;
    }

    public static Result check(String... argv) throws IOException {
        return check(List.of(argv), Duration.ofMinutes(5));
    }
}
