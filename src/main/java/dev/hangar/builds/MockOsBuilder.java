package dev.hangar.builds;

import dev.hangar.core.HangarException;
import dev.hangar.core.builds.BaseImageBuilder;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ImageTemplate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Image Factory's MockOS: a base image that is a few bytes naming the template, made at once. It
 * builds the test OSes (MockOS_A, MockOS_B) and, when asked, any template (Image Factory 1.0's
 * {@code targets=mock}), so clients can run the whole flow in seconds.
 */
public final class MockOsBuilder implements BaseImageBuilder {
    @Override
    public java.util.Optional<String> cannotBuild(ImageTemplate.Os os) {
        return os != null && os.isMock() ? java.util.Optional.empty() : java.util.Optional.of("the mock builder builds MockOS_* only");
    }

    @Override
    public void build(ImageTemplate template, Path output, Path workDir, BuildProgress progress) {
        if (progress.cancelled()) throw new HangarException(HangarException.Kind.CONFLICT, "build-cancelled", "the build was cancelled");
        progress.report(50, "writing the mock image");
        try {
            Path tmp = Files.writeString(workDir.resolve("mock.raw"), "MockOS base_image file for template " + template.name() + "\n",
                    StandardCharsets.UTF_8);
            Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new HangarException(HangarException.Kind.INTERNAL, "build-failed", "cannot write the mock image: " + e.getMessage(), e);
        }
    }
}
