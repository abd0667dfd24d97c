package dev.hangar.builds.debian;

import dev.hangar.core.builds.BuildProgress;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One tool run by a build (mmdebstrap, a command inside the new root, mkfs, ...), from an argument
 * list: no shell on the host ever reads it. It runs to its end unless the build is cancelled or the time
 * limit passes, in which case this process (by its PID) is ended. A failure's reason is the tool's last
 * lines of output. Tools that start children of their own are started under {@code unshare --pid
 * --kill-child} by their callers, so ending this one process ends all of them.
 */
final class BuildProcess {
    /** A known, small environment: nothing of Hangar's own environment leaks into the new system. */
    static final Map<String, String> ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root",
            "LC_ALL", "C.UTF-8",
            "DEBIAN_FRONTEND", "noninteractive",
            "DEBCONF_NONINTERACTIVE_SEEN", "true");
    private static final int KEPT_LINES = 200;
    private static final int REASON_LINES = 12;
    private static final long POLL_MILLIS = 200;

    private final String what;
    private final List<String> argv;
    private Duration timeout = Duration.ofMinutes(10);
    private byte[] input;
    private Path inputFile;
    private Path outputFile;
    private Consumer<String> lineListener = line -> {};
    private Runnable pollListener = () -> {};

    /** what names the step in a failure's reason ("mmdebstrap", "command 2 (setup-web)"). */
    BuildProcess(String what, List<String> argv) {
        this.what = what;
        this.argv = List.copyOf(argv);
    }

    BuildProcess timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    /** Bytes fed to the tool's standard input (a password for chpasswd, a partition table for sfdisk). */
    BuildProcess input(byte[] bytes) {
        this.input = bytes;
        return this;
    }

    /** A file fed to the tool's standard input. Without input or inputFile, stdin is /dev/null. */
    BuildProcess inputFile(Path file) {
        this.inputFile = file;
        return this;
    }

    /** Standard output goes to this file (a kernel copied out of the root); stderr is still kept for the reason. */
    BuildProcess outputFile(Path file) {
        this.outputFile = file;
        return this;
    }

    /** Sees every line of output as it comes, on a reader thread (progress from mmdebstrap's). */
    BuildProcess onLine(Consumer<String> listener) {
        this.lineListener = listener;
        return this;
    }

    /**
     * Runs on the calling thread every poll while the tool runs (a few times a second) and once after it
     * ended: where what onLine learnt is reported, so that reports come from the build's own thread.
     */
    BuildProcess onPoll(Runnable listener) {
        this.pollListener = listener;
        return this;
    }

    List<String> argv() {
        return argv;
    }

    /** Runs to the end; returns the last lines of output. Throws build-failed or build-cancelled. */
    List<String> run(BuildProgress progress) {
        if (progress.cancelled()) throw BuildFailures.cancelled();
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().putAll(ENVIRONMENT);
        if (outputFile != null) {
            pb.redirectOutput(outputFile.toFile());
        } else {
            pb.redirectErrorStream(true);
        }
        if (inputFile != null) {
            pb.redirectInput(inputFile.toFile());
        } else if (input == null) {
            pb.redirectInput(new File("/dev/null"));
        }
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw BuildFailures.failed(what + " could not start: " + e.getMessage(), e);
        }
        Deque<String> lines = new ArrayDeque<>();
        Thread reader = Thread.ofVirtual().start(() -> read(process, lines));
        if (input != null) feed(process, input);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!process.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                pollListener.run();
                if (progress.cancelled()) {
                    end(process);
                    throw BuildFailures.cancelled();
                }
                if (System.nanoTime() > deadline) {
                    end(process);
                    throw BuildFailures.failed(what + " did not finish within " + describe(timeout) + reasonFrom(lines));
                }
            }
            reader.join(Duration.ofSeconds(5));
            pollListener.run();
        } catch (InterruptedException e) {
            end(process);
            Thread.currentThread().interrupt();
            throw BuildFailures.failed(what + " was interrupted (Hangar is stopping)");
        }
        if (process.exitValue() != 0) {
            throw BuildFailures.failed(what + " failed (exit " + process.exitValue() + ")" + reasonFrom(lines));
        }
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    private void read(Process process, Deque<String> lines) {
        var stream = outputFile != null ? process.getErrorStream() : process.getInputStream();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (lines) {
                    lines.addLast(line);
                    if (lines.size() > KEPT_LINES) lines.removeFirst();
                }
                lineListener.accept(line);
            }
        } catch (IOException gone) {
            // the process ended; what was read is kept
        }
    }

    private static void feed(Process process, byte[] bytes) {
        try (OutputStream in = process.getOutputStream()) {
            in.write(bytes);
        } catch (IOException e) {
            // the tool exited without reading it all; its exit code and output say why
        }
    }

    /**
     * Ends the process we started, by its PID, with SIGKILL at once: unshare blocks SIGTERM while it waits
     * for its child (so TERM would only cost a timeout), and nothing needs a tool's own cleanup: what it
     * mounted is in its own mount namespace, what it wrote is in the work directory the caller removes.
     */
    private static void end(Process process) {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(Duration limit) {
        return limit.toSeconds() % 60 == 0 ? limit.toMinutes() + " min" : limit.toSeconds() + " s";
    }

    private static String reasonFrom(Deque<String> lines) {
        List<String> last;
        synchronized (lines) {
            last = lines.stream().skip(Math.max(0, lines.size() - REASON_LINES)).toList();
        }
        if (last.isEmpty()) return "";
        StringBuilder reason = new StringBuilder(":");
        for (String line : last) {
            reason.append('\n').append(line.length() > 300 ? line.substring(0, 300) + "..." : line);
        }
        return reason.toString();
    }
}
