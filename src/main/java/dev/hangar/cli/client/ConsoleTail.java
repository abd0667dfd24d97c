package dev.hangar.cli.client;

/**
 * The console endpoint answers the end of the log, a window that slides as the guest writes: what is
 * new in one answer is what follows the longest end of the previous one that starts the new one.
 */
final class ConsoleTail {
    private ConsoleTail() {}

    static String newText(String before, String now) {
        if (now.startsWith(before)) return now.substring(before.length());
        // The window slid: find where the old text's end sits in the new text.
        for (int start = 1; start < before.length(); start++) {
            if (now.startsWith(before.substring(start))) return now.substring(before.length() - start);
        }
        return now;
    }
}
