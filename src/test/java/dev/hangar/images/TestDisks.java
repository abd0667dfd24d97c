package dev.hangar.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.process.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Real small disks made with qemu-img, and the other bits tests share. */
final class TestDisks {
    private TestDisks() {}

    /** A raw disk with an MBR boot signature and recognisable content. */
    static byte[] rawDiskBytes(int size, long seed) {
        byte[] disk = new byte[size];
        new Random(seed).nextBytes(disk);
        // Leave big zero runs so conversions stay sparse, and put a boot signature where an MBR has it.
        java.util.Arrays.fill(disk, 4096, size, (byte) 0);
        disk[510] = 0x55;
        disk[511] = (byte) 0xaa;
        return disk;
    }

    static Path rawDisk(Path dir, String name, int size) {
        Path p = dir.resolve(name);
        write(p, rawDiskBytes(size, name.hashCode())); // content differs by name
        return p;
    }

    /** Converts src to the given qemu-img format in dir and returns the new file. */
    static Path convert(Path src, String format, Path target, String... options) {
        var argv = new java.util.ArrayList<>(List.of("qemu-img", "convert", "-f", "raw", "-O", format));
        argv.addAll(List.of(options));
        argv.addAll(List.of(src.toString(), target.toString()));
        qemuImg(argv);
        return target;
    }

    static Command.Result qemuImg(List<String> argv) {
        try {
            return Command.check(argv, Duration.ofMinutes(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode info(Path disk) {
        try {
            return new ObjectMapper().readTree(qemuImg(List.of("qemu-img", "info", "--output=json", "-U", disk.toString())).stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when qemu-img sees the same guest-visible content in both disks. */
    static boolean sameContent(Path a, Path b) {
        try {
            return Command.run(List.of("qemu-img", "compare", "-U", a.toString(), b.toString()), Duration.ofMinutes(1)).exitCode() == 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path p, byte[] data) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String hex(ChecksumType type, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(type.algorithm()).digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static ImageRef ref(String url, byte[] body) {
        return new ImageRef(url, hex(ChecksumType.SHA256, body), ChecksumType.SHA256);
    }

    static ImageRef ref(String url, byte[] body, ChecksumType type) {
        return new ImageRef(url, hex(type, body), type);
    }
}
