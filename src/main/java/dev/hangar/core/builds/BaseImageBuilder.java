package dev.hangar.core.builds;

import java.nio.file.Path;
import java.util.Optional;

/** Builds a bootable base image (a raw disk) from a template, on this host, without a VM. */
public interface BaseImageBuilder {
    /** Why this host cannot build that OS (e.g. "only Debian and its family"), or empty when it can. Quick: no network. */
    Optional<String> cannotBuild(ImageTemplate.Os os);

    /**
     * Blocking. Writes the raw disk image at {@code output} (which does not exist yet; nothing is left
     * there on failure), using {@code workDir} (which the caller removes afterwards) for everything
     * else. Throws HangarException: build-failed with the reason, build-cancelled when
     * {@link BuildProgress#cancelled()} turned true.
     */
    void build(ImageTemplate template, Path output, Path workDir, BuildProgress progress);
}
