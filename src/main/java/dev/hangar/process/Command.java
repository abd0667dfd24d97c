package dev.hangar.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
        private final boolean timedOut;

        CommandException(String message, Result result) {
            this(message, result, false);
        }

        CommandException(String message, Result result, boolean timedOut) {
            super(message);
            this.result = result;
            this.timedOut = timedOut;
        }

        /** What the command printed and its exit code; null when it did not start or did not end. */
        public Result result() { return result; }

        /** True when the command ran past its timeout and was killed. */
        public boolean timedOut() { return timedOut; }
    }

    private Command() {}

    /** Runs and returns the result whatever the exit code. */
    public static Result run(List<String> argv, Duration timeout) throws IOException {
        return run(argv, java.util.Map.of(), timeout);
    }

    /** Runs with these variables added to the environment. */
    public static Result run(List<String> argv, java.util.Map<String, String> env, Duration timeout) throws IOException {
        return run(argv, env, null, timeout);
    }

    /** Runs in directory dir (null: the service's own). */
    public static Result run(List<String> argv, java.util.Map<String, String> env, java.nio.file.Path dir, Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        if (dir != null) pb.directory(dir.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new CommandException("cannot start " + argv.get(0) + ": " + e.getMessage(), null);
        }
        p.getOutputStream().close();
        // Both pipes are read on virtual threads so neither can fill up and block the child, and so the
        // timeout holds even when a child (or a daemon it forked) keeps a pipe open.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = Thread.ofVirtual().start(() -> drain(p.getInputStream(), out));
        Thread errReader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new CommandException(String.join(" ", argv) + " timed out after " + timeout, null, true);
            }
            // A daemon child may hold the pipes after its parent exited: take what came, do not wait for EOF.
            outReader.join(Duration.ofSeconds(2));
            errReader.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.get(0), e);
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Copies a pipe into a buffer (ByteArrayOutputStream is synchronized, so reading it meanwhile is safe). */
    private static void drain(InputStream in, ByteArrayOutputStream into) {
        try (in) {
            in.transferTo(into);
        } catch (IOException ignored) {
            // the process went away; what was read is kept
        }
    }

    /** Runs and throws unless the command exits 0. */
    public static Result check(List<String> argv, Duration timeout) throws IOException {
        return check(argv, java.util.Map.of(), timeout);
    }

    public static Result check(List<String> argv, java.util.Map<String, String> env, Duration timeout) throws IOException {
        return check(argv, env, null, timeout);
    }

    public static Result check(List<String> argv, java.util.Map<String, String> env, java.nio.file.Path dir, Duration timeout) throws IOException {
        Result r = run(argv, env, dir, timeout);
        if (!r.ok()) {
            throw new CommandException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderr().strip(), r);
        }
        return r;
    }

    public static Result check(String... argv) throws IOException {
        return check(List.of(argv), Duration.ofMinutes(5));
    }
}
