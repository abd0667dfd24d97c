package dev.hangar.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this process may do as the user it runs as. */
public final class Privileges {
    private Privileges() {}

    /** Whether the effective user is root (Linux's /proc/self/status; false elsewhere: nothing to tell). */
    public static boolean root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) return line.substring(4).strip().split("\\s+")[1].equals("0"); // effective uid
            }
        } catch (IOException e) {
            // not Linux
        }
        return false;
    }
}
