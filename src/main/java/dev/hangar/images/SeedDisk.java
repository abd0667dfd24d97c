package dev.hangar.images;

import dev.hangar.core.FileTrees;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.CloudInitSeed;
import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes cloud-init NoCloud seed disks: an ISO 9660 image labelled {@code cidata} with Joliet and Rock
 * Ridge names (cloud-init's own documented recipe, made by xorriso's mkisofs emulation: genisoimage is
 * no longer maintained). The client's text only ever goes into files; xorriso gets an argument list of
 * our own file names, and no shell runs.
 */
final class SeedDisk {
    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    private SeedDisk() {}

    static void write(Path file, CloudInitSeed seed) {
        Path work = null;
        try {
            work = Files.createTempDirectory(file.getParent(), ".seed-");
            Path userData = Files.writeString(work.resolve("user-data"), seed.userData(), StandardCharsets.UTF_8);
            Path metaData = Files.writeString(work.resolve("meta-data"), seed.metaData(), StandardCharsets.UTF_8);
            List<String> argv = new ArrayList<>(List.of("xorriso", "-as", "mkisofs", "-quiet", "-output", work.resolve("seed.iso").toString(),
                    "-volid", "cidata", "-joliet", "-rock", "-input-charset", "utf-8", userData.toString(), metaData.toString()));
            if (seed.networkConfig() != null) {
                argv.add(Files.writeString(work.resolve("network-config"), seed.networkConfig(), StandardCharsets.UTF_8).toString());
            }
            Command.check(argv, TIMEOUT);
            Files.move(work.resolve("seed.iso"), file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new HangarException(HangarException.Kind.INTERNAL, "seed-disk-failed",
                    "cannot write the cloud-init seed disk " + file + ": " + ImageFailures.describe(e), e);
        } finally {
            if (work != null) FileTrees.delete(work);
        }
    }
}
