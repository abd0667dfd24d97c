package dev.hangar.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.HangarException;
import dev.hangar.core.HangarException.Kind;
import dev.hangar.process.Command;
import dev.hangar.process.QemuUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * qemu-img, the one place that shells out for disk formats. Failures are {@code qemu-img-failed}
 * (INTERNAL); the image store turns a refusal to read an image into image-format-unsupported.
 *
 * <p>Disks from the internet are hostile input to a parser written in C, so every run is confined as
 * OpenStack confines its own: {@code prlimit} caps its address space and CPU time (a limit hit is
 * {@code image-inspect-limit} or {@code image-convert-limit}, never a hang), and {@code info}, which
 * only reads, runs as a uid of its own lent by {@link QemuUsers} (no files, no capability, no other
 * process to signal), from the disk's directory, so it can open what that directory holds for anyone
 * and nothing of the service's. {@code convert} runs as a uid of its own too, into a target the service
 * made and lent to that uid alone, and takes back afterwards ({@link #convertAsUser}); only a source
 * such a uid cannot reach (a library folder) is converted by the service.
 */
public final class QemuImg {
    /** Limits of one run: bytes of address space, seconds of CPU, and the code of an image that hit them. */
    record Limits(long addressSpace, long cpuSeconds, String code) {}

    /**
     * OpenStack's figures for qemu-img info (nova, glance): 1 GiB and 30 s. Measured: info on qcow2, vmdk,
     * vdi and vhdx needs under 64 MiB; reading headers takes milliseconds.
     */
    static final Limits INSPECT = new Limits(1L << 30, 30, "image-inspect-limit");
    /**
     * Generous but bounded. Measured: converting to qcow2 needs under 256 MiB of address space, and about
     * 4 s of CPU per GiB of data from a compressed (streamOptimized) vmdk, so a 64 GiB image (the default
     * --max-image-size) takes about 4 minutes: 20 minutes of CPU leaves room for slower hosts, and ends
     * a decompression bomb.
     */
    static final Limits CONVERT = new Limits(2L << 30, 1200, "image-convert-limit");
    /**
     * glibc reserves 64 MiB of address space per malloc arena, and makes up to 8 per core: without this
     * the address space qemu-img needs would grow with the host's cores, not with the image.
     */
    private static final Map<String, String> ENV = Map.of("MALLOC_ARENA_MAX", "2");
    private static final Duration INSPECT_TIMEOUT = Duration.ofMinutes(1);
    /** A full conversion of a large image is bounded by disk speed; hours, not minutes, is the safe limit. */
    private static final Duration CONVERT_TIMEOUT = Duration.ofHours(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SIGKILL = 9;
    private static final int SIGXCPU = 24;

    /**
     * The most a VMDK may claim to hold: a sparse extent's own limit (2 TiB). A header that claims more
     * (the 512 PiB of a fuzzed capacity) would keep qemu-img walking empty grains for its whole CPU limit.
     */
    static final long MAX_VMDK_VIRTUAL_SIZE = 2L << 40;

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
        Optional<QemuUsers> users = QemuUsers.onThisHost();
        Path common = commonDirectory(source, target);
        if (users.isPresent() && common != null && reachableByOthers(common, source) && searchableByOthers(common, target.toAbsolutePath().normalize().getParent())) {
            convertAsUser(source, sourceFormat, target, common, users.get());
            return;
        }
        // No unprivileged user, or a source the user cannot reach (a library folder read in place, the
        // operator's own files): the service converts, within the same limits.
        run(confined(List.of("qemu-img", "convert", "-f", sourceFormat, "-O", "qcow2", abs(source), abs(target)), CONVERT, Optional.empty()),
                null, CONVERT, CONVERT_TIMEOUT);
        UnpackDir.local(() -> Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--")));
    }

    /**
     * The parse of a hostile disk runs as a uid of its own: the service makes the empty qcow2 target
     * (its size is a number qemu-img info read, under its own limits), owner-only, and lends it to that
     * uid, which converts into it ({@code -n}: no target creation, {@code --target-is-zero}: the gold
     * stays sparse) from the directory that holds both, so it needs no way through the service's private
     * directories. No other uid can open the target meanwhile, and afterwards it is root's and read-only:
     * no QEMU, and no later conversion, can ever write a gold image.
     */
    private static void convertAsUser(Path source, String sourceFormat, Path target, Path common, QemuUsers users) {
        long virtualSize = info(source, sourceFormat).path("virtual-size").asLong(-1);
        if (virtualSize < 0) throw new HangarException(Kind.INTERNAL, "qemu-img-failed", "qemu-img info gave no virtual size for " + source);
        if (sourceFormat.equals("vmdk") && virtualSize > MAX_VMDK_VIRTUAL_SIZE) {
            throw ImageFailures.tooLarge("the VMDK " + source.getFileName() + " claims " + virtualSize + " bytes, more than a VMDK holds ("
                    + MAX_VMDK_VIRTUAL_SIZE + ")");
        }
        run(List.of("qemu-img", "create", "-q", "-f", "qcow2", abs(target), String.valueOf(virtualSize)), null, CONVERT, INSPECT_TIMEOUT);
        try (QemuUsers.Lease lease = users.lend()) {
            try {
                own(target, lease.ids().uid(), lease.ids().gid(), "rw-------");
                run(confined(List.of("qemu-img", "convert", "-n", "--target-is-zero", "-f", sourceFormat, "-O", "qcow2",
                        "./" + common.relativize(source.toAbsolutePath()), "./" + common.relativize(target.toAbsolutePath())),
                        CONVERT, Optional.of(lease.ids())), common, CONVERT, CONVERT_TIMEOUT);
            } finally {
                // Read-only to all: libvirt's QEMU user, in no group of Hangar's, reads it as a clone's backing file.
                own(target, 0, 0, "r--r--r--");
            }
        }
    }

    /** Sets the file's owner, group and mode (the service keeps the directory). */
    private static void own(Path file, int uid, int gid, String mode) {
        UnpackDir.local(() -> {
            Files.setAttribute(file, "unix:uid", uid);
            Files.setAttribute(file, "unix:gid", gid);
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
            return null;
        });
    }

    /** The deepest directory holding both files, or null when it is the root (nothing to start from). */
    static Path commonDirectory(Path a, Path b) {
        Path dir = a.toAbsolutePath().normalize().getParent();
        Path other = b.toAbsolutePath().normalize();
        while (dir != null && !other.startsWith(dir)) dir = dir.getParent();
        return dir == null || dir.getParent() == null ? null : dir;
    }

    /**
     * Whether a user other than the owner can walk from {@code from} to the file and read it: every
     * directory on the way searchable by others, the file readable by others (as what Hangar unpacks is).
     */
    private static boolean reachableByOthers(Path from, Path file) {
        return UnpackDir.local(() -> {
            Path f = file.toAbsolutePath().normalize();
            return Files.getPosixFilePermissions(f).contains(PosixFilePermission.OTHERS_READ) && searchableByOthers(from, f.getParent());
        });
    }

    /** Whether every directory from {@code from} down to {@code dir} (both included) is searchable by others. */
    private static boolean searchableByOthers(Path from, Path dir) {
        return UnpackDir.local(() -> {
            for (Path d = dir; d != null && d.startsWith(from); d = d.getParent()) {
                if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
            }
            return true;
        });
    }

    /**
     * The format qemu-img sees ("qcow2", "raw", "vmdk", ...); works on disks a running VM holds. Read as
     * a lent uid, like {@link #info}.
     */
    public static String format(Path disk) {
        return info(disk, null).path("format").asText();
    }

    /**
     * {@code qemu-img info --output=json}; with a format given, qemu-img does not probe. Backing files are
     * not opened. Run as a uid {@link QemuUsers} lends within {@link #INSPECT}, so the disk must be readable and its
     * directory searchable by others (as what Hangar unpacks is). File names in the answer (a VMDK's
     * extents) are relative to the disk's directory.
     */
    static JsonNode info(Path disk, String format) {
        return info(disk, format, INSPECT);
    }

    static JsonNode info(Path disk, String format, Limits limits) {
        requireFile(disk);
        List<String> argv = new ArrayList<>(List.of("qemu-img", "info", "--output=json", "-U"));
        if (format != null) argv.addAll(List.of("-f", format));
        // From the disk's directory: the user needs no way through the service's private directories.
        // "./" keeps a name with a colon from being read as a qemu protocol ("nbd:...").
        argv.add("./" + disk.getFileName());
        Optional<QemuUsers> users = QemuUsers.onThisHost();
        if (users.isPresent()) requireReadableByOthers(disk, users.get().gid());
        String out;
        try (QemuUsers.Lease lease = users.map(QemuUsers::lend).orElse(null)) {
            out = run(confined(argv, limits, Optional.ofNullable(lease).map(QemuUsers.Lease::ids)), disk.toAbsolutePath().getParent(),
                    limits, INSPECT_TIMEOUT).stdout();
        }
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new HangarException(Kind.INTERNAL, "qemu-img-failed", "qemu-img info printed no JSON: " + out, e);
        }
    }

    /**
     * A host set up so a lent uid cannot read the disk is this host's fault, not the image's: said so
     * before qemu-img runs. The uid reads what others may, or what the QEMUs' group may (a gold image).
     */
    private static void requireReadableByOthers(Path disk, int qemuGroup) {
        boolean readable = UnpackDir.local(() -> granted(disk, qemuGroup, PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_READ)
                && granted(disk.toAbsolutePath().getParent(), qemuGroup, PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.GROUP_EXECUTE));
        if (!readable) {
            throw new HangarException(Kind.INTERNAL, "qemu-img-failed", "qemu-img reads disks as a uid of its own, which cannot read " + disk
                    + ": the disk must be readable (o+r) and its directory searchable (o+x) by others, or by the group " + qemuGroup);
        }
    }

    private static boolean granted(Path p, int group, PosixFilePermission toOthers, PosixFilePermission toGroup) throws IOException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p);
        return mode.contains(toOthers) || (mode.contains(toGroup) && ((Integer) Files.getAttribute(p, "unix:gid")) == group);
    }

    /** argv under prlimit's limits and, given ids, as that uid in that group alone with no way back (setpriv). */
    static List<String> confined(List<String> argv, Limits limits, Optional<QemuUsers.Ids> ids) {
        List<String> a = new ArrayList<>(List.of("prlimit", "--as=" + limits.addressSpace(), "--cpu=" + limits.cpuSeconds()));
        ids.ifPresent(u -> a.addAll(List.of("setpriv", "--reuid=" + u.uid(), "--regid=" + u.gid(), "--clear-groups", "--no-new-privs")));
        a.addAll(argv);
        return a;
    }

    private static Command.Result run(List<String> argv, Path dir, Limits limits, Duration timeout) {
        try {
            return Command.check(argv, ENV, dir, timeout);
        } catch (Command.CommandException e) {
            if (e.timedOut() || (e.result() != null && hitLimit(e.result()))) {
                throw new HangarException(Kind.INVALID, limits.code(), "qemu-img stopped at its limits (" + (limits.addressSpace() >> 20)
                        + " MiB of address space, " + limits.cpuSeconds() + " s of CPU, " + timeout.toSeconds() + " s in all): "
                        + (e.timedOut() ? "timed out" : describe(e.result())), e);
            }
            throw new HangarException(Kind.INTERNAL, "qemu-img-failed", e.getMessage(), e);
        } catch (IOException e) {
            throw new HangarException(Kind.INTERNAL, "qemu-img-failed", e.getMessage(), e);
        }
    }

    /**
     * Whether qemu-img ended at prlimit's limits: killed for CPU time (SIGXCPU at the limit, SIGKILL past
     * it), or out of address space, which it reports as it meets it (a failed allocation, thread or
     * library mapping) before it aborts or exits.
     */
    static boolean hitLimit(Command.Result r) {
        if (r.exitCode() == 128 + SIGXCPU || r.exitCode() == 128 + SIGKILL) return true;
        String err = r.stderr();
        return err.contains("Cannot allocate memory") || err.contains("failed to map segment")
                || err.contains("qemu_thread_create: Resource temporarily unavailable");
    }

    private static String describe(Command.Result r) {
        String err = r.stderr().strip();
        return err.isEmpty() ? "exit " + r.exitCode() : err;
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
