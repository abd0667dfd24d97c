package dev.hangar.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.HangarException;
import dev.hangar.core.HangarException.Kind;
import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * qemu-img, the one place that shells out for disk formats. Failures are {@code qemu-img-failed}
 * (INTERNAL); the image store turns a refusal to read an image into image-format-unsupported.
 * Paths are passed absolute, so a file name with a colon is never taken for a qemu protocol.
 */
public final class QemuImg {
    private static final Duration INSPECT_TIMEOUT = Duration.ofMinutes(1);
    /** A full conversion of a large image is bounded by disk speed; hours, not minutes, is the safe limit. */
    private static final Duration CONVERT_TIMEOUT = Duration.ofHours(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    private QemuImg() {}

    /** Converts any disk qemu-img reads into a standalone qcow2 (no backing file); the source format comes from its bytes. */
    public static void convertToQcow2(Path source, Path target) {
        requireFile(source);
        DiskFormat byBytes = UnpackDir.local(() -> DiskFormat.detect(source));
        convertToQcow2(source, byBytes != null ? byBytes.qemuName() : format(source), target);
    }

    /** The same with the source format given, so qemu-img does not probe (a raw disk could pose as another format). */
    static void convertToQcow2(Path source, String sourceFormat, Path target) {
        requireFile(source);
        if (Files.exists(target)) throw new IllegalArgumentException("conversion target already exists: " + target);
        run(List.of("qemu-img", "convert", "-f", sourceFormat, "-O", "qcow2",
                abs(source), abs(target)), CONVERT_TIMEOUT);
    }

    /** The format qemu-img sees ("qcow2", "raw", "vmdk", ...); works on disks a running VM holds. */
    public static String format(Path disk) {
        return info(disk, null).path("format").asText();
    }

    /** {@code qemu-img info --output=json}; with a format given, qemu-img does not probe. Backing files are not opened. */
    static JsonNode info(Path disk, String format) {
        requireFile(disk);
        List<String> argv = new ArrayList<>(List.of("qemu-img", "info", "--output=json", "-U"));
        if (format != null) argv.addAll(List.of("-f", format));
        argv.add(abs(disk));
        String out = run(argv, INSPECT_TIMEOUT).stdout();
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new HangarException(Kind.INTERNAL, "qemu-img-failed", "qemu-img info printed no JSON: " + out, e);
        }
    }

    private static Command.Result run(List<String> argv, Duration timeout) {
        try {
            return Command.check(argv, timeout);
        } catch (IOException e) {
            throw new HangarException(Kind.INTERNAL, "qemu-img-failed", e.getMessage(), e);
        }
    }

    /** True when qemu-img ran and refused (the disk is at fault), false when it could not run at all. */
    static boolean refused(HangarException e) {
        return "qemu-img-failed".equals(e.code()) && e.getCause() instanceof Command.CommandException c && c.result() != null;
    }

    private static void requireFile(Path p) {
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException("not a disk file: " + p);
    }

    private static String abs(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
