package dev.hangar.core.vms;

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
        Duration monitorInterval,
        VmLimits limits) {

    /** With the default limits. */
    public VmSettings(Path vmsDir, int defaultCpus, long defaultMemoryMib, Duration toolsInitTimeout, Duration deleteGrace,
                      Duration monitorInterval) {
        this(vmsDir, defaultCpus, defaultMemoryMib, toolsInitTimeout, deleteGrace, monitorInterval, VmLimits.DEFAULT);
    }

    /** What a VM gets when neither the request nor the image says (the seed's default of 2 cpus). */
    public static final int DEFAULT_CPUS = 2;
    public static final long DEFAULT_MEMORY_MIB = 1024;
}
