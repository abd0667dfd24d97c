package dev.hangar.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.hypervisor.ConsoleLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the driver does with a machine's files, without a machine: the console log stays bounded. */
class QemuDriverTest {
    private final QemuDriver driver = new QemuDriver("qemu-system-x86_64", Accelerator.TCG);

    @Test
    void aConsoleLogPastItsLimitKeepsItsLastMebibyte(@TempDir Path dir) throws Exception {
        byte[] log = new byte[(int) ConsoleLog.LIMIT + 4096];
        for (int i = 0; i < log.length; i++) log[i] = (byte) ('a' + i % 26);
        Files.write(dir.resolve("serial.log"), log);

        driver.housekeep(dir);

        byte[] kept = Files.readAllBytes(dir.resolve("serial.log"));
        assertEquals(ConsoleLog.KEEP, kept.length);
        assertArrayEquals(Arrays.copyOfRange(log, log.length - ConsoleLog.KEEP, log.length), kept);
    }

    @Test
    void aSmallConsoleLogIsLeftAloneAndReadWhole(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("serial.log"), "HANGAR-GUEST-READY 10.213.0.10\n");
        driver.housekeep(dir);
        assertEquals("HANGAR-GUEST-READY 10.213.0.10\n", driver.console(dir));
        assertEquals("", driver.console(dir.resolve("missing")), "no log yet reads empty");
    }

    @Test
    void theConsoleReadsAtMostItsLimit(@TempDir Path dir) throws Exception {
        byte[] log = new byte[(int) ConsoleLog.LIMIT * 2];
        Arrays.fill(log, (byte) 'x');
        log[log.length - 1] = '\n';
        Files.write(dir.resolve("serial.log"), log);
        String text = driver.console(dir);
        assertEquals(ConsoleLog.LIMIT, text.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(text.endsWith("x\n"));
    }
}
