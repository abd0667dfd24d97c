package dev.hangar.core;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Service-wide VM defaults. {@code toolsInitTimeout} applies when a request says 0; {@code deleteGrace}
 * is how long a guest gets to power off cleanly before QEMU is stopped hard.
 */
public record VmSettings(
        Path vmsDir,
        int defaultCpus,
        long defaultMemoryMib,
        Duration toolsInitTimeout,
        Duration deleteGrace,
        Duration monitorInterval) {

    public static VmSettings defaults(Path vmsDir) {
        return new VmSettings(vmsDir, 2, 1024, Duration.ofMinutes(3), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }
}
