package dev.hangar.builds.debian;

import dev.hangar.core.builds.BuildProgress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** What the builder's tests ask of the processes and mounts the code under test made. */
final class Processes {
    private Processes() {}

    /** Whether a live process's command line (arguments joined by spaces) contains text. */
    static boolean anyRunning(String text) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .anyMatch(p -> cmdline(p).contains(text) && !zombie(p));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether no live process names the text within the time: a killed process, and everything the
     * kernel ends with its PID namespace, goes a moment after the kill, not at once.
     */
    static boolean goneWithin(String text, java.time.Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        while (anyRunning(text)) {
            if (System.nanoTime() > until) return false;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Whether anything is mounted at or below dir, in this process's mount namespace. */
    static boolean anyMountUnder(Path dir) throws IOException {
        String prefix = dir.toRealPath().toString();
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .anyMatch(m -> m.equals(prefix) || m.startsWith(prefix + "/"));
    }

    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException gone) {
            return "";
        }
    }

    private static boolean zombie(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException gone) {
            return true;
        }
    }

    /** A BuildProgress that is cancelled once the condition holds; reports are ignored. */
    static BuildProgress cancelledWhen(BooleanSupplier condition) {
        return new BuildProgress() {
            @Override
            public void report(int percent, String activity) {}

            @Override
            public boolean cancelled() {
                return condition.getAsBoolean();
            }
        };
    }

    static final BuildProgress NEVER_CANCELLED = cancelledWhen(() -> false);
}
