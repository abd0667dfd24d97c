package dev.hangar.endtoend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the tests ask of processes they did not start. */
final class Processes {
    private Processes() {}

    /**
     * Whether a process runs: a zombie waiting for its reaper does not count (a daemonized QEMU is
     * reaped by whoever adopted it, which may take a moment).
     */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException gone) {
            return false;
        }
    }
}
