package dev.hangar.endtoend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the tests ask of processes they did not start: QEMUs, found the same way under either driver. */
final class Processes {
    private static final Pattern MAC = Pattern.compile("a2:68:67(:[0-9a-f]{2}){3}");

    private Processes() {}

    /**
     * Whether a process runs: a zombie waiting for its reaper does not count (a daemonized QEMU is
     * reaped by whoever adopted it, which may take a moment).
     */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException gone) {
            return false;
        }
    }

    /** The running QEMU of a VM: its command line names the VM's id (-name under Hangar's driver, -uuid under libvirt). */
    static OptionalLong qemuOf(String vmId) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .mapToLong(Long::parseLong).filter(pid -> running(pid) && cmdline(pid).contains("qemu-system")
                            && cmdline(pid).contains(vmId)).findFirst();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** The MAC of the VM's first NIC, from its QEMU's command line. */
    static String macOf(String vmId) {
        long pid = qemuOf(vmId).orElseThrow(() -> new AssertionError("no QEMU runs for VM " + vmId));
        Matcher m = MAC.matcher(cmdline(pid));
        if (!m.find()) throw new AssertionError("no MAC on the command line of QEMU " + pid);
        return m.group();
    }

    /** The tap Hangar made for a MAC: "hgt" and its last six hex digits. */
    static String tapOf(String mac) {
        return "hgt" + mac.replace(":", "").substring(6);
    }

    /** Ends the daemons a service left running under its data directory (dnsmasq, Open vSwitch), by their pid files. */
    static void endDaemons(Path dataDir) {
        for (Path dir : List.of(dataDir.resolve("networks"), dataDir.resolve("networks").resolve("ovs"))) {
            try (Stream<Path> files = Files.exists(dir) ? Files.list(dir) : Stream.empty()) {
                files.filter(f -> f.getFileName().toString().endsWith(".pid")).forEach(f -> pidIn(f).ifPresent(pid -> {
                    String comm = comm(pid);
                    if (comm.equals("dnsmasq") || comm.startsWith("ovs")) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
                }));
            } catch (IOException e) {
                // nothing to end
            }
        }
    }

    private static Optional<Long> pidIn(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", String.valueOf(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
