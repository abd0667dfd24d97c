package dev.hangar.builds.debian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A build's tools: their failures carry their last lines, and a cancel or a time limit ends them and theirs. */
class DebianBuildProcessTest {
    @TempDir
    Path dir;

    @Test
    void aFailureSaysWhichStepAndEndsWithTheToolsLastLines() {
        // The host shell here runs this test's own script, standing in for a tool that prints a lot and fails.
        HangarException e = assertThrows(HangarException.class, () -> new BuildProcess("mkfs.ext4",
                List.of("sh", "-c", "for i in $(seq 1 30); do echo line$i; done; echo 'no space left' >&2; exit 3"))
                .run(Processes.NEVER_CANCELLED));
        assertEquals("build-failed", e.code());
        assertTrue(e.getMessage().startsWith("mkfs.ext4 failed (exit 3):\n"), e.getMessage());
        assertTrue(e.getMessage().endsWith("line30\nno space left"), e.getMessage());
        assertFalse(e.getMessage().contains("line19\n"), "only the last lines: " + e.getMessage());
    }

    @Test
    void aToolThatCannotStartIsABuildFailure() {
        HangarException e = assertThrows(HangarException.class,
                () -> new BuildProcess("mmdebstrap", List.of("/nonexistent/mmdebstrap")).run(Processes.NEVER_CANCELLED));
        assertEquals("build-failed", e.code());
        assertTrue(e.getMessage().startsWith("mmdebstrap could not start"), e.getMessage());
    }

    @Test
    void cancellingEndsTheToolAndEverythingItStartedInItsPidNamespace() {
        long start = System.nanoTime();
        HangarException e = assertThrows(HangarException.class, () -> new BuildProcess("a long step",
                List.of("unshare", "--pid", "--fork", "--kill-child", "sh", "-c", "sleep 617.25 & sleep 618.25"))
                .run(Processes.cancelledWhen(() -> Processes.anyRunning("sleep 618.25"))));
        assertEquals("build-cancelled", e.code());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos());
        assertTrue(Processes.goneWithin("sleep 617.25", Duration.ofSeconds(10)), "the child the tool left in the background is gone too");
        assertTrue(Processes.goneWithin("sleep 618.25", Duration.ofSeconds(10)));
    }

    @Test
    void aStepPastItsTimeLimitIsEndedAndFails() {
        HangarException e = assertThrows(HangarException.class, () -> new BuildProcess("command 1 (slow)",
                List.of("sh", "-c", "echo started; exec sleep 619.25")).timeout(Duration.ofSeconds(1)).run(Processes.NEVER_CANCELLED));
        assertEquals("build-failed", e.code());
        assertEquals("command 1 (slow) did not finish within 1 s:\nstarted", e.getMessage());
        assertTrue(Processes.goneWithin("sleep 619.25", Duration.ofSeconds(10)));
    }

    @Test
    void aCancelledBuildStartsNothing() {
        HangarException e = assertThrows(HangarException.class, () -> new BuildProcess("x", List.of("sh", "-c", "touch " + dir.resolve("ran")))
                .run(Processes.cancelledWhen(() -> true)));
        assertEquals("build-cancelled", e.code());
        assertFalse(Files.exists(dir.resolve("ran")));
    }

    @Test
    void inputGoesToStdinAndStdoutToTheFileInAKnownEnvironment() throws IOException {
        byte[] bytes = {0, 1, 2, (byte) 0xff, '\n', 'x'};
        Path out = dir.resolve("out");
        new BuildProcess("cat", List.of("cat")).input(bytes).outputFile(out).run(Processes.NEVER_CANCELLED);
        assertArrayEquals(bytes, Files.readAllBytes(out));

        List<String> env = new BuildProcess("env", List.of("env")).run(Processes.NEVER_CANCELLED);
        assertEquals(BuildProcess.ENVIRONMENT.size(), env.size(), "nothing of the JVM's environment: " + env);
        assertTrue(env.contains("DEBIAN_FRONTEND=noninteractive"), env.toString());
    }
}
