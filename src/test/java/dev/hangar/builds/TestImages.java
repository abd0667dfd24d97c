package dev.hangar.builds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.process.Command;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;

/** Small real disks with a known pattern, qemu-img at the test's side, and a progress that records. */
public final class TestImages {
    private TestImages() {}

    /**
     * A raw disk of size bytes (a multiple of 1 MiB): an MBR boot signature, random data in the first
     * and the last MiB, a marker in the middle and zeros elsewhere, so conversions have holes to keep.
     */
    public static byte[] patternedDisk(int size, long seed) {
        byte[] disk = new byte[size];
        Random random = new Random(seed);
        byte[] mib = new byte[1 << 20];
        random.nextBytes(mib);
        System.arraycopy(mib, 0, disk, 0, mib.length);
        random.nextBytes(mib);
        System.arraycopy(mib, 0, disk, size - mib.length, mib.length);
        byte[] marker = "hangar target test marker".getBytes();
        System.arraycopy(marker, 0, disk, size / 2 + 12345, marker.length);
        disk[510] = 0x55;
        disk[511] = (byte) 0xaa;
        return disk;
    }

    public static Path write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file of mib MiB of random bytes, written a MiB at a time (random data is slow to compress). */
    public static Path randomFile(Path file, int mib, long seed) {
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    public static Command.Result qemuImg(String... args) {
        List<String> argv = new ArrayList<>(List.of("qemu-img"));
        argv.addAll(Arrays.asList(args));
        try {
            return Command.run(argv, Duration.ofMinutes(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode info(Path disk) {
        try {
            return new ObjectMapper().readTree(qemuImg("info", "--output=json", disk.toString()).stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The disk's guest-visible bytes: qemu-img converts it back to raw, which is read whole (test disks are small). */
    public static byte[] rawBytes(Path disk, Path scratch) {
        Path raw = scratch.resolve("back-" + System.nanoTime() + ".raw");
        Command.Result r = qemuImg("convert", "-O", "raw", disk.toString(), raw.toString());
        if (!r.ok()) throw new AssertionError("qemu-img convert back to raw failed: " + r.stderr());
        try {
            return Files.readAllBytes(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(raw);
            } catch (IOException ignored) {
                // a test's temp dir is removed anyway
            }
        }
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public static String sha256(Path file) {
        try {
            return sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every qemu-img this JVM started that is still running. */
    public static List<ProcessHandle> runningQemuImg() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("/qemu-img") || c.equals("qemu-img")).orElse(false))
                .toList();
    }

    /** Records every report; cancels itself once a report's percent matches cancelWhen. */
    public static final class RecordingProgress implements BuildProgress {
        public final List<Integer> percents = new CopyOnWriteArrayList<>();
        public final List<String> activities = new CopyOnWriteArrayList<>();
        private final IntPredicate cancelWhen;
        private volatile boolean cancelled;

        public RecordingProgress() {
            this(p -> false);
        }

        public RecordingProgress(IntPredicate cancelWhen) {
            this.cancelWhen = cancelWhen;
        }

        @Override
        public void report(int percent, String activity) {
            percents.add(percent);
            activities.add(activity);
            if (cancelWhen.test(percent)) cancelled = true;
        }

        @Override
        public boolean cancelled() {
            return cancelled;
        }

        public void cancel() {
            cancelled = true;
        }
    }
}
