package dev.hangar.api.vms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a new console WebSocket gets first: the end of the log, whole lines, never a broken character. */
class VmsFaceTest {
    @Test
    void aShortLogIsSentWhole() {
        assertArrayEquals("booted\nlogin: ".getBytes(StandardCharsets.UTF_8), VmsFace.recentPast("booted\nlogin: "));
    }

    @Test
    void aLongLogIsCutAtALineStartWithinTheLimit() {
        String line = "é".repeat(99) + "\n"; // 199 bytes a line: a cut by bytes alone would split a character
        String log = line.repeat(VmsFace.CONSOLE_PAST / 199 + 50) + "# ";
        byte[] past = VmsFace.recentPast(log);
        assertTrue(past.length <= VmsFace.CONSOLE_PAST, past.length + " bytes");
        String text = new String(past, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("é"), "starts at a line: " + text.substring(0, 10));
        assertTrue(text.endsWith("\n# "), "ends where the log ends");
        assertEquals(0, text.replace("é", "").replace("\n", "").replace("# ", "").length(), "no broken character");
    }
}
