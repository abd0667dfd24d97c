package dev.hangar.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.core.vms.MemorySnapshots;
import dev.hangar.hypervisor.DiskLayout;
import dev.hangar.hypervisor.MachineFiles;
import dev.hangar.process.Command;
import dev.hangar.process.QemuUsers;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm starts with QEMU (see dev.hangar.core.vms.WarmStarts and docs/warm-starts.md). The template's
 * RAM is a shared file; with the {@code x-ignore-shared} capability a migration then writes only the
 * device state (under a MiB), which a clone, its RAM the same file mapped privately, loads on its
 * {@code -incoming} socket. Migration goes over Unix sockets: {@code exec:} would need a fork, which
 * the sandbox's spawn=deny forbids, and Java cannot pass a file descriptor to {@code getfd}.
 */
final class QemuSnapshots implements MemorySnapshots {
    private static final Logger log = LoggerFactory.getLogger(QemuSnapshots.class);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(30);
    /** The hook an image carries for what only it knows of its identity (see docs/warm-starts.md). */
    static final String HOOK = "/usr/lib/hangar/reidentify";
    /**
     * Run by the guest's own shell with the identity as its arguments ($1 hostname, $2 generation id,
     * then pairs of the template's MAC and the clone's): the text is constant, the values are never
     * read as code. Each NIC found by its template MAC takes its new one; the hostname is set; then the
     * image's hook renews the network and does the rest, told the identity in its environment.
     */
    static final String REIDENTIFY = """
            set -e
            host=$1; genid=$2; shift 2
            ifaces=""
            while [ $# -ge 2 ]; do
              for d in /sys/class/net/*; do
                [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] || continue
                i=${d##*/}
                ip link set dev "$i" down
                ip link set dev "$i" address "$2"
                ip link set dev "$i" up
                ifaces="$ifaces $i"
              done
              shift 2
            done
            hostname "$host" 2>/dev/null || echo "$host" > /proc/sys/kernel/hostname
            HANGAR_HOSTNAME=$host HANGAR_VMGENID=$genid HANGAR_INTERFACES=${ifaces# } exec %s
            """.formatted(HOOK);
    private static final Pattern ALIAS = Pattern.compile("(?m)^(\\S+)\\s.*\\(alias of (\\S+)\\)\\s*$");

    private final String qemuBinary;
    private final Accelerator accelerator;
    private final Optional<QemuUsers> users;
    private final Map<String, String> machineTypes = new ConcurrentHashMap<>();
    private volatile String version;

    QemuSnapshots(String qemuBinary, Accelerator accelerator, Optional<QemuUsers> users) {
        this.qemuBinary = qemuBinary;
        this.accelerator = accelerator;
        this.users = users;
    }

    @Override
    public String fingerprint(MachineSpec template) throws IOException {
        return version() + "\n" + String.join("\n", QemuCommandLine.withoutHostPaths(QemuCommandLine.build(qemuBinary, template, accelerator, Optional.empty()), template));
    }

    private String version() throws IOException {
        String v = version;
        if (v == null) {
            version = v = Command.check(List.of(qemuBinary, "-version"), Duration.ofSeconds(10)).stdout().lines().findFirst().orElse("").strip();
        }
        return v;
    }

    @Override
    public String pinnedMachineType(MachineSpec spec) throws IOException {
        String alias = DiskLayout.of(spec).machineType();
        String pinned = machineTypes.get(alias);
        if (pinned != null) return pinned;
        String help = Command.check(List.of(qemuBinary, "-machine", "help"), Duration.ofSeconds(10)).stdout();
        Matcher m = ALIAS.matcher(help);
        while (m.find()) machineTypes.putIfAbsent(m.group(1), m.group(2));
        return machineTypes.getOrDefault(alias, alias);
    }

    @Override
    public boolean agentAnswers(Path dir) {
        try (GuestAgentClient agent = GuestAgentClient.open(dir.resolve(MachineFiles.AGENT_SOCKET), Duration.ofSeconds(1))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void requireReidentifyHook(Path dir) throws IOException {
        try (GuestAgentClient agent = GuestAgentClient.open(dir.resolve(MachineFiles.AGENT_SOCKET), AGENT_TIMEOUT)) {
            if (agent.exec("/bin/sh", List.of("-c", "test -x " + HOOK), Duration.ofSeconds(10)).code() != 0) {
                throw new IOException("the image has no executable " + HOOK + " to renew its network with a new MAC");
            }
        }
    }

    @Override
    public void capture(Path dir, Path stateFile) throws IOException {
        // QEMU has switched to its own uid by now and cannot enter the machine's root-only directory:
        // the socket it sends its state to sits in a private directory of that uid's.
        Path handoff = Files.createTempDirectory("hangar-capture-");
        Path socket = handoff.resolve("state.sock");
        Path partial = stateFile.resolveSibling(stateFile.getFileName() + ".partial");
        try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), MIGRATION_TIMEOUT);
             ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            if (users.isPresent()) {
                int uid = users.get().forMachine(dir).uid();
                Files.setAttribute(handoff, "unix:uid", uid);
                Files.setAttribute(socket, "unix:uid", uid);
            }
            qmp.execute("stop");
            qmp.execute("migrate-set-capabilities", ignoreShared());
            qmp.execute("migrate", JsonLineSocket.JSON.createObjectNode().put("uri", "unix:" + socket));
            server.configureBlocking(false);
            try (SocketChannel in = accept(server); FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                while (in.read(buf.clear()) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) out.write(buf);
                }
                out.force(true);
            }
            awaitMigration(qmp, "capture", dir);
            Files.move(partial, stateFile, StandardCopyOption.ATOMIC_MOVE);
            qmp.execute("quit");
        } finally {
            Files.deleteIfExists(partial);
            Files.deleteIfExists(socket);
            Files.deleteIfExists(handoff);
        }
    }

    private static SocketChannel accept(ServerSocketChannel server) throws IOException {
        Instant until = Instant.now().plus(MIGRATION_TIMEOUT);
        while (true) {
            SocketChannel c = server.accept();
            if (c != null) {
                c.configureBlocking(true);
                return c;
            }
            if (Instant.now().isAfter(until)) throw new IOException("QEMU did not connect to send its state within " + MIGRATION_TIMEOUT);
            pause(5);
        }
    }

    @Override
    public void resume(Path dir, Path stateFile) throws IOException {
        try {
            load(dir, stateFile);
        } catch (IOException e) {
            // A state QEMU cannot load ends it, and its last words say why; a dropped socket does not.
            throw QemuDriver.lastLine(dir).contains("qemu-system") ? new IOException("restore failed: " + QemuDriver.lastLine(dir), e) : e;
        }
    }

    private static void load(Path dir, Path stateFile) throws IOException {
        try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), MIGRATION_TIMEOUT)) {
            qmp.execute("migrate-set-capabilities", ignoreShared());
            try (SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
                 FileChannel in = FileChannel.open(stateFile, StandardOpenOption.READ)) {
                out.connect(UnixDomainSocketAddress.of(dir.resolve(QemuCommandLine.INCOMING_SOCKET)));
                long size = in.size();
                for (long at = 0; at < size; ) at += in.transferTo(at, size - at, out);
            }
            awaitMigration(qmp, "restore", dir);
            // QEMU runs a machine whose state came in at once (no -S); one left paused is started.
            if (!"running".equals(qmp.status())) qmp.execute("cont");
        }
    }

    private static ObjectNode ignoreShared() {
        ObjectNode args = JsonLineSocket.JSON.createObjectNode();
        args.putArray("capabilities").addObject().put("capability", "x-ignore-shared").put("state", true);
        return args;
    }

    /** Until QEMU says the migration completed; its error when it failed. */
    private static void awaitMigration(QmpClient qmp, String what, Path dir) throws IOException {
        Instant until = Instant.now().plus(MIGRATION_TIMEOUT);
        while (true) {
            JsonNode status = qmp.execute("query-migrate");
            switch (status.path("status").asText("")) {
                case "completed" -> { return; }
                case "failed", "cancelled" -> {
                    // QEMU 7.2 often leaves error-desc out and prints the reason on its stderr instead.
                    String said = status.path("error-desc").asText(QemuDriver.lastLine(dir));
                    log.warn("{} failed: {} ({})", what, status, said);
                    throw new IOException(what + " failed: " + said);
                }
                default -> { }
            }
            if (Instant.now().isAfter(until)) throw new IOException(what + " did not complete within " + MIGRATION_TIMEOUT);
            pause(2);
        }
    }

    @Override
    public void setClock(Path dir) throws IOException {
        try (GuestAgentClient agent = GuestAgentClient.open(dir.resolve(MachineFiles.AGENT_SOCKET), AGENT_TIMEOUT)) {
            agent.setTime(Instant.now());
        }
    }

    @Override
    public void reidentify(Path dir, Identity identity) throws IOException {
        try (GuestAgentClient agent = GuestAgentClient.open(dir.resolve(MachineFiles.AGENT_SOCKET), AGENT_TIMEOUT)) {
            agent.setTime(Instant.now());
            List<String> args = new ArrayList<>(List.of("-c", REIDENTIFY, "reidentify", identity.hostname(), identity.generationId()));
            for (MacChange mac : identity.macs()) args.addAll(List.of(mac.inTemplate(), mac.own()));
            GuestAgentClient.Exit exit = agent.exec("/bin/sh", args, Duration.ofSeconds(20));
            if (exit.code() != 0) {
                // The output is the guest's: the log has it, the error (which clients see) does not.
                log.warn("re-identifying {} exited {}: {}", dir.getFileName(), exit.code(), (exit.stdout() + exit.stderr()).strip());
                throw new IOException("the guest's re-identification exited " + exit.code());
            }
        }
    }

    private static void pause(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

}
