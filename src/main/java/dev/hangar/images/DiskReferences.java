package dev.hangar.images;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.HangarException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks that a disk only refers to files inside the image before qemu-img converts it. Disk formats can
 * name other files (VMDK extents and parents, qcow2 backing and data files); an image from the internet
 * naming {@code /etc/shadow} or {@code /dev/sda} as its backing file would otherwise be converted into
 * the gold image, host data and all.
 */
final class DiskReferences {
    private static final int MAX_CHAIN = 16;
    /** Extent lines: {@code RW 2048 FLAT "disk-flat.vmdk" 0}; ZERO extents name no file. */
    private static final Pattern EXTENT = Pattern.compile("^\\s*(?:RW|RDONLY|NOACCESS)\\s+\\d+\\s+\\w+\\s+\"([^\"]*)\".*$");
    private static final Pattern PARENT = Pattern.compile("^\\s*parentFileNameHint\\s*=\\s*\"([^\"]*)\"\\s*$");
    private static final long MAX_DESCRIPTOR_BYTES = 1 << 20;

    private DiskReferences() {}

    /** Passes, or throws image-unsafe-archive (outside), image-no-disk (missing) or image-format-unsupported. */
    static void check(Path disk, DiskFormat format, UnpackDir tree) {
        check(disk, format, tree, 0);
    }

    private static void check(Path disk, DiskFormat format, UnpackDir tree, int depth) {
        if (depth > MAX_CHAIN) throw ImageFailures.formatUnsupported("disk " + name(tree, disk) + " has a backing chain deeper than " + MAX_CHAIN);
        // A text descriptor is read here first: qemu-img would open its extents (which could be a FIFO that hangs it).
        if (format == DiskFormat.VMDK && UnpackDir.local(() -> DiskFormat.isVmdkDescriptor(disk))) {
            for (String ref : descriptorReferences(disk)) {
                Path p = resolve(tree, disk, ref);
                if (!Files.isRegularFile(p)) {
                    throw ImageFailures.noDisk("disk " + name(tree, disk) + " names " + ref + ", which is not in the image");
                }
            }
        }
        JsonNode info;
        try {
            info = QemuImg.info(disk, format.qemuName());
        } catch (HangarException e) {
            if (QemuImg.refused(e)) throw ImageFailures.formatUnsupported("qemu-img cannot read disk " + name(tree, disk) + ": " + e.getMessage());
            throw e;
        }
        for (JsonNode extent : info.path("format-specific").path("data").path("extents")) {
            String file = extent.path("filename").asText(null);
            // qemu-img read the disk from its directory: the names it reports are relative to it
            if (file != null) tree.requireInside(disk.toAbsolutePath().getParent().resolve(file), "extent " + file + " of disk " + name(tree, disk));
        }
        String dataFile = info.path("format-specific").path("data").path("data-file").asText(null);
        if (dataFile != null) resolve(tree, disk, dataFile);
        String backing = info.path("backing-filename").asText(null);
        if (backing != null) {
            Path parent = resolve(tree, disk, backing);
            if (!Files.isRegularFile(parent)) {
                throw ImageFailures.noDisk("disk " + name(tree, disk) + " is based on " + backing + ", which is not in the image");
            }
            String named = info.path("backing-filename-format").asText(null);
            DiskFormat parentFormat = named != null ? byQemuName(named) : UnpackDir.local(() -> DiskFormat.detect(parent));
            if (parentFormat == null) throw ImageFailures.formatUnsupported("backing file " + backing + " has an unknown format");
            check(parent, parentFormat, tree, depth + 1);
        }
    }

    /** A referenced name, checked like any name an image gives: relative, inside, and no qemu protocol prefix. */
    private static Path resolve(UnpackDir tree, Path disk, String ref) {
        int colon = ref.indexOf(':');
        int slash = ref.indexOf('/');
        // qemu reads "json:{...}", "nbd:..." and the like as protocols, not file names: never let an image choose one.
        if (colon >= 0 && (slash < 0 || colon < slash)) {
            throw ImageFailures.unsafe("disk " + name(tree, disk) + " refers to " + ref + ", which qemu would read as a protocol");
        }
        return tree.resolveInside(disk.getParent(), ref, "disk " + name(tree, disk));
    }

    /** The extent file names a VMDK text descriptor lists, as written (relative to the descriptor). */
    static List<String> vmdkExtents(Path descriptor) {
        return matches(descriptor, EXTENT);
    }

    private static List<String> descriptorReferences(Path descriptor) {
        List<String> refs = new ArrayList<>(matches(descriptor, EXTENT));
        refs.addAll(matches(descriptor, PARENT));
        return refs;
    }

    private static List<String> matches(Path descriptor, Pattern pattern) {
        long size = UnpackDir.local(() -> Files.size(descriptor));
        if (size > MAX_DESCRIPTOR_BYTES) throw ImageFailures.formatUnsupported("VMDK descriptor " + descriptor.getFileName() + " is implausibly large");
        String text = new String(UnpackDir.local(() -> Files.readAllBytes(descriptor)), StandardCharsets.UTF_8);
        List<String> found = new ArrayList<>();
        for (String line : text.split("\\R")) {
            Matcher m = pattern.matcher(line);
            if (m.matches()) found.add(m.group(1));
        }
        return found;
    }

    private static DiskFormat byQemuName(String name) {
        for (DiskFormat f : DiskFormat.values()) {
            if (f.qemuName().equals(name)) return f;
        }
        throw ImageFailures.formatUnsupported("backing file format " + name + " is not supported");
    }

    private static String name(UnpackDir tree, Path disk) {
        return disk.startsWith(tree.root()) ? tree.root().relativize(disk).toString() : disk.toString();
    }
}
