package dev.hangar.hypervisor.qemu;

import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.vms.GuestInfo;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.core.vms.MachineState;
import dev.hangar.core.vms.MemorySnapshots;
import dev.hangar.core.vms.WarmMemory;
import dev.hangar.hypervisor.ConsoleLog;
import dev.hangar.hypervisor.MachineFiles;
import dev.hangar.hypervisor.SocketConsoles;
import dev.hangar.process.QemuUsers;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One detached QEMU process per machine: started in a session of its own ({@code setsid}), it keeps
 * running when the service stops. The machine's directory holds the pid file, the QMP, serial,
 * guest-agent and VNC sockets and the serial log, which is all a restarted service needs to adopt it.
 *
 * <p>QEMU runs under its seccomp sandbox and, when the service is root, switches to a uid of its own
 * ({@link QemuUsers}: no other QEMU runs as it, so it can signal, trace or read no other) once it has
 * opened its disks, taps, sockets and logs ({@code -runas UID:GID}). The directory stays root's and
 * private (0700), stricter than owning it to that uid: QEMU needs nothing there after the switch, and a
 * QEMU that a guest took over cannot rewrite the pid file that Hangar later signals.
 */
public final class QemuDriver implements SocketConsoles {
    private static final Logger log = LoggerFactory.getLogger(QemuDriver.class);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String VNC_FILE = "vnc";
    /** QEMU's own stdout and stderr: why it did not start, or what it complained of while running. */
    static final String QEMU_LOG = "qemu.log";

    private final String qemuBinary;
    private final Accelerator accelerator;
    private final Optional<QemuUsers> users;
    private final QemuSnapshots snapshots;

    /** The QEMU binary must exist and be executable (a path, or a name found on the PATH). */
    @Override
    public String unusable() {
        Path given = Path.of(qemuBinary);
        if (given.isAbsolute() || qemuBinary.contains("/")) {
            return Files.isExecutable(given) ? null : qemuBinary + " is not an executable file";
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, qemuBinary))) return null;
        }
        return qemuBinary + " is not on the PATH";
    }

    @Override
    public Optional<MemorySnapshots> memorySnapshots() {
        return Optional.of(snapshots);
    }

    public QemuDriver(String qemuBinary, Accelerator accelerator) {
        this(qemuBinary, accelerator, QemuUsers.onThisHost());
    }

    QemuDriver(String qemuBinary, Accelerator accelerator, Optional<QemuUsers> users) {
        this.qemuBinary = qemuBinary;
        this.accelerator = accelerator;
        this.users = users;
        this.snapshots = new QemuSnapshots(qemuBinary, accelerator, users);
    }

    @Override
    public void start(MachineSpec spec) throws IOException {
        Path dir = spec.dir();
        Files.createDirectories(dir);
        // Its sockets (QMP, console, agent, VNC) and the serial log are for root, that is Hangar, alone.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        if (spec.firmware() == Firmware.EFI) MachineFiles.ensureUefiVariables(dir);
        Optional<QemuUsers.Ids> ids = users.isPresent() ? Optional.of(users.get().forMachine(dir)) : Optional.empty();
        Optional<String> runAs = ids.map(QemuUsers.Ids::runas);
        if (ids.isPresent() && spec.warm() != null) handOverDisks(spec, ids.get());
        List<String> argv = QemuCommandLine.build(qemuBinary, spec, accelerator, runAs);
        Files.writeString(dir.resolve("qemu.cmdline"), String.join(" ", argv) + "\n");
        List<String> detached = new ArrayList<>(List.of("setsid"));
        detached.addAll(argv);
        // Not -daemonize: it forks after the sandbox is in place, which spawn=deny forbids. setsid gives
        // QEMU a session of its own (no terminal's signals) and it is no pipe's writer, so it outlives us.
        Process qemu = new ProcessBuilder(detached)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(QEMU_LOG).toFile())
                .start();
        awaitQmp(qemu, dir);
        if (spec.gui()) Files.writeString(dir.resolve(VNC_FILE), "unix:" + dir.resolve(QemuCommandLine.VNC_SOCKET));
        log.info("machine {} started: pid {}{}", spec.id(), pid(dir).orElse(-1), runAs.map(u -> " as " + u).orElse(""));
    }

    /**
     * A template, saving its state, hands its disks over read-only, and a clone takes them over
     * read-write once the state is in: QEMU opens them again either way, as its own uid by then. So
     * their files are that uid's (a template's while it is built: the template store takes them back),
     * and a clone's sit in a directory of their own, the uid's alone, outside the root-only machine directory.
     */
    private static void handOverDisks(MachineSpec spec, QemuUsers.Ids ids) throws IOException {
        for (MachineSpec.Disk d : spec.disks()) {
            Files.setAttribute(d.file(), "unix:uid", ids.uid());
            if (spec.warm().role() == WarmMemory.Role.CLONE) {
                Files.setAttribute(d.file().getParent(), "unix:uid", ids.uid());
                Files.setPosixFilePermissions(d.file().getParent(), PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

    /**
     * Waits until QEMU answers on QMP, which it does only from its main loop, so once it has set the
     * machine up and switched user; a QEMU that exits first did not start, and its output says why.
     */
    private static void awaitQmp(Process qemu, Path dir) throws IOException {
        Instant until = Instant.now().plus(START_TIMEOUT);
        while (true) {
            if (!qemu.isAlive() && qemu.exitValue() != 0) {
                throw new IOException("QEMU did not start (exit " + qemu.exitValue() + "): " + startLog(dir));
            }
            try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), QMP_TIMEOUT)) {
                qmp.status();
                return;
            } catch (IOException notYet) {
                // no socket yet, or the last run's, which nobody listens on
            }
            if (Instant.now().isAfter(until)) {
                qemu.destroyForcibly();
                throw new IOException("QEMU did not answer on QMP within " + START_TIMEOUT + ": " + startLog(dir));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                qemu.destroyForcibly();
                throw new IOException("interrupted while QEMU started", e);
            }
        }
    }

    /** The last line QEMU printed, or a placeholder: for errors QEMU reports only on its stderr. */
    static String lastLine(Path dir) {
        String text = startLog(dir);
        return text.isEmpty() ? "(QEMU printed nothing)" : text.substring(text.lastIndexOf('\n') + 1);
    }

    private static String startLog(Path dir) {
        try {
            String text = Files.readString(dir.resolve(QEMU_LOG)).strip();
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(no output)";
        }
    }

    @Override
    public MachineState state(Path dir) {
        if (pid(dir).isEmpty()) return MachineState.STOPPED;
        try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), QMP_TIMEOUT)) {
            return switch (qmp.status()) {
                case "running" -> MachineState.RUNNING;
                case "shutdown" -> MachineState.STOPPED;
                case "paused", "suspended", "prelaunch", "save-vm", "restore-vm" -> MachineState.PAUSED;
                default -> MachineState.UNKNOWN;
            };
        } catch (IOException e) {
            // The process died between the two checks, or QMP is busy: look at the process again.
            return pid(dir).isEmpty() ? MachineState.STOPPED : MachineState.UNKNOWN;
        }
    }

    @Override
    public long residentBytes(Path dir) {
        OptionalLong pid = pid(dir);
        if (pid.isEmpty()) return 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid.getAsLong()), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // ended meanwhile
        }
        return 0;
    }

    @Override
    public void pause(Path dir) throws IOException {
        try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), QMP_TIMEOUT)) {
            qmp.execute("stop");
        }
    }

    @Override
    public void resume(Path dir) throws IOException {
        try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), QMP_TIMEOUT)) {
            qmp.execute("cont");
        }
    }

    @Override
    public void stop(Path dir, Duration grace) {
        if (pid(dir).isEmpty()) return;
        if (!grace.isZero()) {
            qmp(dir, "system_powerdown");
            if (waitForExit(dir, grace)) return;
            log.info("machine in {} ignored the power button for {}; quitting QEMU", dir, grace);
        }
        qmp(dir, "quit");
        if (waitForExit(dir, Duration.ofSeconds(3))) return;
        // QMP did not help (its socket is gone with the directory, or QEMU hangs): the process, found
        // by the VM's name on its command line, is killed.
        pid(dir).ifPresent(pid -> {
            log.warn("killing QEMU pid {} for {}", pid, dir);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        });
        if (!waitForExit(dir, Duration.ofSeconds(10))) {
            throw new IllegalStateException("QEMU of " + dir.getFileName() + " does not end");
        }
    }

    @Override
    public void housekeep(Path dir) {
        ConsoleLog.trim(dir.resolve(MachineFiles.SERIAL_LOG));
    }

    @Override
    public Optional<GuestInfo> guestInfo(Path dir) {
        Path socket = dir.resolve(MachineFiles.AGENT_SOCKET);
        if (!Files.exists(socket) || pid(dir).isEmpty()) return Optional.empty();
        try {
            return Optional.of(GuestAgentClient.query(socket, Duration.ofMillis(500)));
        } catch (IOException e) {
            return Optional.empty(); // no agent in this guest, or not up yet
        }
    }

    @Override
    public GuestExit exec(Path dir, List<String> argv, Duration timeout) throws IOException {
        Path socket = dir.resolve(MachineFiles.AGENT_SOCKET);
        if (pid(dir).isEmpty()) throw new IOException("the machine does not run");
        try (GuestAgentClient agent = GuestAgentClient.open(socket, timeout.plusSeconds(5))) {
            GuestAgentClient.Exit exit = agent.exec(argv.getFirst(), argv.subList(1, argv.size()), timeout);
            return new GuestExit(exit.code(), exit.stdout(), exit.stderr());
        }
    }

    @Override
    public Optional<String> vncAddress(Path dir) {
        try {
            return Optional.of(Files.readString(dir.resolve(VNC_FILE)).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The PID of the live QEMU for this directory. The pid file alone is not trusted: the process must
     * exist and carry this machine's name on its command line, so a recycled PID is never taken for it.
     */
    OptionalLong pid(Path dir) {
        String marker = QemuCommandLine.processName(dir.getFileName().toString());
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve(QemuCommandLine.PID_FILE)).strip());
            if (isMachine(pid, marker)) return OptionalLong.of(pid);
        } catch (IOException | NumberFormatException e) {
            // no pid file (or not yet, or its directory is gone): look for the process by name
        }
        try (var procs = Files.list(Path.of("/proc"))) {
            return procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .mapToLong(Long::parseLong).filter(pid -> isMachine(pid, marker)).findFirst();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** Whether pid is a live (not zombie) QEMU whose command line names this machine. */
    private static boolean isMachine(long pid, String marker) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            String cmdline = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
            if (!cmdline.contains(" -name " + marker + " ")) return false;
            String state = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return !state.substring(state.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void qmp(Path dir, String command) {
        try (QmpClient qmp = QmpClient.connect(dir.resolve(QemuCommandLine.QMP_SOCKET), QMP_TIMEOUT)) {
            qmp.execute(command);
        } catch (IOException e) {
            log.debug("QMP {} in {}: {}", command, dir, e.getMessage());
        }
    }

    private boolean waitForExit(Path dir, Duration timeout) {
        Instant until = Instant.now().plus(timeout);
        while (pid(dir).isPresent()) {
            if (Instant.now().isAfter(until)) return false;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
