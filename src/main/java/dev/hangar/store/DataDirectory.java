package dev.hangar.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may enter Hangar's data directory. It holds the database (user-data, callback tokens), gold images,
 * the VMs' disks, built and published images: nothing any other local user should read.
 *
 * <p>With the QEMUs' group (a root service, see {@code QemuUsers}): the directory is root's, 0710 to that
 * group, and so are {@value #IMAGES}, {@value #VMS}, {@value #WARM_DISKS} and {@value #INSTALLERS}, which QEMU and qemu-img
 * (each as a uid of its own, all in that group) must walk to the files they are given: they can enter,
 * never list, and read only what is theirs or readable by all (gold images, installers' kernels). The
 * other directories (builds, published images, TLS keys, network state, the plugin socket) are root's
 * alone, 0700. Without the group (a service that is not root, or the libvirt driver, whose QEMUs run as
 * libvirt's own user) those three and the directory are 0711: walked, listed by nobody else; the files
 * there that hold secrets are owner-only (the database, the audit log, each VM's disks and seed).
 *
 * <p>Applied at every start, so a directory an earlier version (or the package) left open is closed; each
 * change is logged, which is once.
 */
public final class DataDirectory {
    static final String IMAGES = "images";
    static final String VMS = "vms";
    static final String INSTALLERS = "installers";
    /** Warm clones' disks, each VM's in a directory its QEMU's uid owns (see docs/warm-starts.md). */
    static final String WARM_DISKS = "warm-disks";
    /** What only the service reads: closed to the QEMUs' group too. */
    static final List<String> PRIVATE = List.of("builds", "published", "exports", "tls", "networks", "infrakit", "warm");
    private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);

    private DataDirectory() {}

    /** Makes the directory (if it is not there) and sets the modes above; qemuGroup is the QEMUs' group id, if any. */
    public static void secure(Path data, Optional<Integer> qemuGroup) throws IOException {
        Files.createDirectories(data);
        String walkedMode = qemuGroup.isPresent() ? "rwx--x---" : "rwx--x--x";
        set(data, qemuGroup, walkedMode);
        for (String walked : List.of(IMAGES, VMS, WARM_DISKS, INSTALLERS)) {
            Path d = data.resolve(walked);
            Files.createDirectories(d);
            set(d, qemuGroup, walkedMode);
        }
        for (String own : PRIVATE) {
            Path d = data.resolve(own);
            if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) set(d, Optional.empty(), "rwx------");
        }
    }

    private static void set(Path dir, Optional<Integer> group, String mode) throws IOException {
        String before = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
        int groupBefore = (Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        if (group.isPresent() && group.get() != groupBefore) Files.setAttribute(dir, "unix:gid", group.get(), LinkOption.NOFOLLOW_LINKS);
        if (!before.equals(mode)) Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        if (!before.equals(mode) || (group.isPresent() && group.get() != groupBefore)) {
            log.info("{} was {} (group {}); now {}{}", dir, before, groupBefore, mode, group.map(g -> " (group " + g + ")").orElse(""));
        }
    }
}
