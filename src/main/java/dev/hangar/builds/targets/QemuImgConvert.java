package dev.hangar.builds.targets;

import dev.hangar.builds.BuildErrors;
import dev.hangar.builds.ProgressSpan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code qemu-img convert -p} from a raw disk, watched while it runs: its progress lines move the
 * build's percent, a cancelled build ends the child by its PID, and a failure carries qemu-img's own
 * message. {@link dev.hangar.process.Command} runs helpers to completion, which is why this does not use it.
 */
final class QemuImgConvert {
    private static final Logger log = LoggerFactory.getLogger(QemuImgConvert.class);
    /** qemu-img -p writes "    (12.34/100%)\r" as it goes. */
    private static final Pattern PERCENT = Pattern.compile("\\((\\d{1,3})(?:\\.\\d+)?/100%\\)");
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration TERM_GRACE = Duration.ofSeconds(5);
    /** Bounded by disk speed: a large image takes long, and hours is the safe limit (as for the gold images). */
    private static final Duration TIMEOUT = Duration.ofHours(3);
    private static final int STDERR_KEEP = 16 << 10;

    private QemuImgConvert() {}

    /**
     * Converts the raw disk {@code source} into {@code target} (which must not exist) in {@code format}
     * with the {@code -o} options given (none when empty). The source format is given, never probed: a
     * raw disk whose first bytes look like another format must not be read as that format.
     */
    static void run(Path source, String format, String options, Path target, ProgressSpan progress) {
        List<String> argv = new ArrayList<>(List.of("qemu-img", "convert", "-p", "-f", "raw", "-O", format));
        if (!options.isEmpty()) argv.addAll(List.of("-o", options));
        argv.add(abs(source));
        argv.add(abs(target));
        String activity = "converting to " + format;
        progress.report(0, activity);

        Process process;
        try {
            process = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw BuildErrors.targetFailed("cannot start qemu-img: " + e.getMessage(), e);
        }
        long pid = process.pid();
        PercentReader percent = new PercentReader(process.getInputStream());
        TailReader stderr = new TailReader(process.getErrorStream());
        Thread.ofVirtual().start(percent);
        Thread stderrThread = Thread.ofVirtual().start(stderr);

        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try {
            while (!process.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                if (progress.cancelled()) {
                    end(process, pid);
                    throw BuildErrors.cancelled("conversion to " + format);
                }
                if (System.nanoTime() > deadline) {
                    end(process, pid);
                    throw BuildErrors.targetFailed("qemu-img convert to " + format + " took longer than " + TIMEOUT, null);
                }
                progress.report(percent.latest, activity);
            }
        } catch (InterruptedException e) {
            end(process, pid);
            Thread.currentThread().interrupt();
            throw BuildErrors.cancelled("conversion to " + format + " (interrupted)");
        }
        int exit = process.exitValue();
        if (exit != 0) {
            try {
                stderrThread.join(Duration.ofSeconds(2)); // the rest of its message, if it is still in the pipe
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw BuildErrors.targetFailed("qemu-img convert to " + format + " exited " + exit + ": " + stderr.text().strip(), null);
        }
        progress.report(100, activity);
    }

    /** Ends the child by its PID: SIGTERM, then SIGKILL if it has not gone after a grace period. */
    private static void end(Process process, long pid) {
        log.info("ending qemu-img (pid {})", pid);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        try {
            if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            Thread.currentThread().interrupt();
        }
    }

    private static String abs(Path p) {
        // Absolute, so a file name with a colon is never read by qemu-img as a protocol ("nbd:...").
        return p.toAbsolutePath().normalize().toString();
    }

    /** Reads qemu-img's stdout and keeps the last whole percent it printed. */
    private static final class PercentReader implements Runnable {
        private final InputStream in;
        volatile int latest;

        PercentReader(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            StringBuilder line = new StringBuilder();
            try (in) {
                int b;
                while ((b = in.read()) >= 0) {
                    if (b == '\r' || b == '\n') {
                        Matcher m = PERCENT.matcher(line);
                        if (m.find()) latest = Math.min(100, Integer.parseInt(m.group(1)));
                        line.setLength(0);
                    } else if (line.length() < 256) {
                        line.append((char) b);
                    }
                }
            } catch (IOException ignored) {
                // the process went away
            }
        }
    }

    /** Reads qemu-img's stderr and keeps its last few KiB for the error message. */
    private static final class TailReader implements Runnable {
        private final InputStream in;
        private final StringBuilder kept = new StringBuilder();

        TailReader(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (kept) {
                        kept.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                        if (kept.length() > STDERR_KEEP) kept.delete(0, kept.length() - STDERR_KEEP);
                    }
                }
            } catch (IOException ignored) {
                // the process went away
            }
        }

        String text() {
            synchronized (kept) {
                return kept.toString();
            }
        }
    }
}
