package dev.hangar.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users QEMU and qemu-img run as when they handle what guests and downloaded images control: a uid
 * of its own for every machine's QEMU and for every qemu-img run on a downloaded image, from a range
 * reserved for Hangar (as libvirt's per-domain DAC labels give each domain its own), all in the group
 * {@code hangar-qemu} (made by scripts/install-deps and the package). No two QEMUs share a uid, so one
 * that a guest took over can neither signal nor trace nor read another (its files are its own, 0600);
 * the group only lets them walk Hangar's data directory (0710) to the gold images, which are root's and
 * read-only.
 *
 * <p>The range is {@value #FIRST_UID} to {@value #FIRST_UID} + {@value #UIDS} - 1: past the ranges
 * Debian gives people (1000-59999), systemd's dynamic users (61184-65519) and containers
 * (524288-1879048191), and below 2^31 (some tools read a uid as a signed int). No passwd entry is needed:
 * a process may run as any number. The lower half is for machines, each keeping its uid for as long as it
 * exists (written in its directory, {@value #UID_FILE}); the upper half is lent to one qemu-img run at a
 * time. A uid is taken only when no process runs as it, so two services on one host do not share one.
 *
 * <p>Only a root service can switch users; one that is not root runs them as itself (unprivileged
 * already). A root service on a host without the group runs them as root and says so once.
 */
public final class QemuUsers {
    public static final String GROUP = "hangar-qemu";
    public static final int FIRST_UID = 1_900_000_000;
    public static final int UIDS = 65_536;
    private static final int MACHINE_UIDS = UIDS / 2;
    /** A machine's uid, in its directory: root's file in root's directory, so its QEMU cannot change it. */
    public static final String UID_FILE = "qemu.uid";
    private static final Logger log = LoggerFactory.getLogger(QemuUsers.class);
    private static volatile Optional<QemuUsers> onThisHost;

    /** A uid and the group, as QEMU's {@code -runas} and setpriv take them. */
    public record Ids(int uid, int gid) {
        public String runas() {
            return uid + ":" + gid;
        }
    }

    private final int gid;
    private final Set<Integer> lent = new HashSet<>();

    QemuUsers(int gid) {
        this.gid = gid;
    }

    /** The users of this host, or empty when there is nobody to switch to (looked up once). */
    public static Optional<QemuUsers> onThisHost() {
        Optional<QemuUsers> r = onThisHost;
        if (r == null) {
            synchronized (QemuUsers.class) {
                r = onThisHost;
                if (r == null) onThisHost = r = choose(Privileges.root(), groupId(GROUP));
            }
        }
        return r;
    }

    static Optional<QemuUsers> choose(boolean root, Optional<Integer> group) {
        if (!root) return Optional.empty();
        if (group.isPresent()) return Optional.of(new QemuUsers(group.get()));
        log.warn("there is no group {}: QEMU and qemu-img run as root (scripts/install-deps adds it)", GROUP);
        return Optional.empty();
    }

    /** The group every QEMU and qemu-img runs in: what may walk the data directory. */
    public int gid() {
        return gid;
    }

    /** The owner match of every uid in the range, as iptables' {@code --uid-owner} takes it. */
    public static String uidRange() {
        return FIRST_UID + "-" + (FIRST_UID + UIDS - 1);
    }

    /**
     * The machine's uid: the one its directory records (a restarted machine keeps it, and with it the
     * files it owns), or a free one from the machines' half, recorded there first.
     */
    public synchronized Ids forMachine(Path machineDir) throws IOException {
        Path file = machineDir.resolve(UID_FILE);
        if (Files.exists(file)) {
            try {
                int uid = Integer.parseInt(Files.readString(file).strip());
                if (uid >= FIRST_UID && uid < FIRST_UID + MACHINE_UIDS) return new Ids(uid, gid);
            } catch (NumberFormatException e) {
                // not a uid Hangar wrote: a new one is chosen
            }
        }
        Set<Integer> taken = recordedBySiblings(machineDir);
        int uid = free(FIRST_UID, MACHINE_UIDS, taken);
        Files.writeString(file, uid + "\n");
        return new Ids(uid, gid);
    }

    /** A uid of its own for one run, from the upper half; closing the lease gives it back. */
    public synchronized Lease lend() {
        int uid = free(FIRST_UID + MACHINE_UIDS, UIDS - MACHINE_UIDS, lent);
        lent.add(uid);
        return new Lease(new Ids(uid, gid));
    }

    /** One lent uid; closed when its process has ended. */
    public final class Lease implements AutoCloseable {
        private final Ids ids;

        private Lease(Ids ids) {
            this.ids = ids;
        }

        public Ids ids() {
            return ids;
        }

        @Override
        public void close() {
            synchronized (QemuUsers.this) {
                lent.remove(ids.uid());
            }
        }
    }

    /** From a random place in the half, so two services seldom try the same uid first. */
    private static int free(int first, int count, Set<Integer> taken) {
        Set<Integer> running = uidsOfProcesses();
        int start = ThreadLocalRandom.current().nextInt(count);
        for (int i = 0; i < count; i++) {
            int uid = first + (start + i) % count;
            if (!taken.contains(uid) && !running.contains(uid)) return uid;
        }
        throw new IllegalStateException("every uid from " + first + " to " + (first + count - 1) + " is in use");
    }

    private static Set<Integer> recordedBySiblings(Path machineDir) throws IOException {
        Set<Integer> taken = new HashSet<>();
        Path parent = machineDir.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) return taken;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent)) {
            for (Path d : dirs) {
                Path f = d.resolve(UID_FILE);
                if (d.equals(machineDir.toAbsolutePath()) || !Files.isRegularFile(f)) continue;
                try {
                    taken.add(Integer.parseInt(Files.readString(f).strip()));
                } catch (NumberFormatException | IOException e) {
                    // unreadable: that directory is on its way out
                }
            }
        }
        return taken;
    }

    /** The real uid of every process (the owner of its /proc entry). */
    static Set<Integer> uidsOfProcesses() {
        Set<Integer> uids = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path p : procs) {
                try {
                    uids.add((Integer) Files.getAttribute(p, "unix:uid"));
                } catch (IOException | UnsupportedOperationException e) {
                    // ended meanwhile
                }
            }
        } catch (IOException e) {
            // no /proc: nothing to avoid
        }
        return uids;
    }

    /** The group's id from the name service ({@code getent}, so NSS groups count too), or empty. */
    static Optional<Integer> groupId(String name) {
        try {
            Command.Result r = Command.run(java.util.List.of("getent", "group", name), java.time.Duration.ofSeconds(10));
            String[] fields = r.stdout().strip().split(":");
            return r.exitCode() == 0 && fields.length >= 3 ? Optional.of(Integer.parseInt(fields[2])) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
