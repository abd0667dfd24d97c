package dev.hangar.hypervisor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A machine's serial console log, as the API serves it and as Hangar keeps it bounded. */
public final class ConsoleLog {
    private static final Logger log = LoggerFactory.getLogger(ConsoleLog.class);
    /** The log is trimmed to its last {@link #KEEP} bytes once it grows past this, and read up to this. */
    public static final long LIMIT = 2L << 20;
    public static final int KEEP = 1 << 20;

    private ConsoleLog() {}

    /** The end of the log (at most {@link #LIMIT} bytes), "" when there is none yet. */
    public static String tail(Path logFile) {
        try (FileChannel ch = FileChannel.open(logFile, StandardOpenOption.READ)) {
            long size = ch.size();
            long from = Math.max(0, size - LIMIT);
            ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // read to the end as it was when opened
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Past {@link #LIMIT}, cuts the log to its last {@link #KEEP} bytes. The writer appends (QEMU's
     * logappend=on), so after the truncation its writes land at the new end; the few bytes it writes
     * while the tail is copied back may come out of order.
     */
    public static void trim(Path logFile) {
        try (FileChannel ch = FileChannel.open(logFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size <= LIMIT) return;
            ByteBuffer tail = ByteBuffer.allocate(KEEP);
            while (tail.hasRemaining() && ch.read(tail, size - KEEP + tail.position()) > 0) {
                // the last KEEP bytes
            }
            ch.truncate(0);
            tail.flip();
            while (tail.hasRemaining()) ch.write(tail, ch.size());
        } catch (IOException e) {
            log.debug("console log {}: {}", logFile, e.getMessage());
        }
    }
}
