package dev.hangar.builds.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** Progress read from a real run's output (mmdebstrap 1.3.5 -v, bookworm minbase + the builder's packages + busybox). */
class DebianMmdebstrapProgressTest {
    @Test
    void aRealRunMovesForwardThroughEveryPhaseToOneHundred() throws IOException {
        MmdebstrapProgress progress = new MmdebstrapProgress();
        List<Integer> reported = new ArrayList<>();
        List<String> activities = new ArrayList<>();
        for (String line : realRun()) {
            if (progress.read(line)) {
                reported.add(progress.percent());
                activities.add(progress.activity());
            }
        }
        for (int i = 1; i < reported.size(); i++) assertTrue(reported.get(i) > reported.get(i - 1), "only forward: " + reported);
        assertEquals(100, progress.percent());
        assertTrue(reported.size() >= 40, "it moved in many steps, not only at the phases: " + reported);
        assertTrue(activities.contains("downloading essential packages (69 of 69)"), activities.toString());
        assertTrue(activities.contains("setting up essential packages (69 of 69)"), activities.toString());
        assertTrue(activities.contains("downloading packages (67 of 67)"), activities.toString());
        assertTrue(activities.contains("setting up packages (67 of 67)"), activities.toString());
        // the counts reach their ends before the next phase starts, not by the phase marks alone
        assertTrue(reported.contains(20) && reported.contains(50) && reported.contains(98), reported.toString());
    }

    @Test
    void linesItDoesNotKnowMoveNothing() {
        MmdebstrapProgress progress = new MmdebstrapProgress();
        assertEquals(false, progress.read("Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]"));
        assertEquals(false, progress.read("Setting up foo (1.0) ..."));
        assertEquals(0, progress.percent());
        assertTrue(progress.read("I: running apt-get update..."));
        assertEquals(false, progress.read("Get:2 http://deb.debian.org/debian bookworm/main amd64 Packages [8790 kB]"),
                "the package lists' downloads have no announced total");
    }

    private static List<String> realRun() throws IOException {
        var stream = DebianMmdebstrapProgressTest.class.getResourceAsStream("mmdebstrap-bookworm.log.gz");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(stream), StandardCharsets.UTF_8))) {
            return in.lines().toList();
        }
    }
}
