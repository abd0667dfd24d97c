package dev.hangar.hypervisor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The backing file a qcow2 disk names in its header (QEMU's qcow2 specification: the offset at byte 8,
 * the length at byte 16), so a driver can describe a clone's chain without running qemu-img. Only
 * Hangar's own clones are read here; anything else has no backing file.
 */
public final class Qcow2Backing {
    private static final int MAGIC = 0x514649fb; // "QFI\xfb"
    private static final int MAX_NAME = 1023;     // QEMU's own limit on a backing file name

    private Qcow2Backing() {}

    public static Optional<Path> of(Path disk) {
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(20);
            if (ch.read(header, 0) < 20) return Optional.empty();
            header.flip();
            if (header.getInt(0) != MAGIC) return Optional.empty();
            long offset = header.getLong(8);
            int size = header.getInt(16);
            if (offset == 0 || size <= 0 || size > MAX_NAME) return Optional.empty();
            ByteBuffer name = ByteBuffer.allocate(size);
            if (ch.read(name, offset) < size) return Optional.empty();
            return Optional.of(Path.of(new String(name.array(), StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
