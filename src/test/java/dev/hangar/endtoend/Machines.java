package dev.hangar.endtoend;

import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The machine driver an end-to-end suite runs against (a parameter of the suite): Hangar's own QEMU
 * driver, or libvirt with a libvirtd the tests start inside their namespace (virtlogd, then libvirtd,
 * as the field notes say). That libvirtd runs in a mount namespace of its own whose qemu.conf turns
 * off libvirt's per-VM /dev namespaces, which this kind of machine cannot make; nothing of the host's
 * configuration changes.
 */
final class Machines {
    static final String URI = "qemu:///system";
    private static boolean libvirtStarted;
    private static Path qemuConf;

    private Machines() {}

    /** The service's options for the driver. */
    static List<String> serviceArgs(String driver) {
        return driver.equals("libvirt") ? List.of("--driver", "libvirt", "--libvirt-uri", URI) : List.of();
    }

    /** Makes sure what the driver needs runs: for libvirt, the daemons (once per test JVM). */
    static synchronized void prepare(String driver) throws Exception {
        if (!driver.equals("libvirt") || libvirtStarted) return;
        Path dir = Files.createTempDirectory("hangar-libvirt");
        qemuConf = dir.resolve("qemu.conf");
        Files.writeString(qemuConf, Files.readString(Path.of("/etc/libvirt/qemu.conf")) + "\nnamespaces = [ ]\n");
        startDaemons("virtlogd -d && libvirtd -d");
        libvirtStarted = true;
    }

    /**
     * JUnit makes a temporary directory private to root; libvirt runs QEMU as its own unprivileged user,
     * which must reach the VMs' files under the data directory, as it does under /var/lib/hangar.
     */
    static void openToQemu(Path dataParent) throws IOException {
        Command.check(List.of("chmod", "755", dataParent.toString()), Duration.ofSeconds(10));
    }

    /** Stops libvirtd (its domains run on) and starts it again, as an operator's restart would. */
    static synchronized void restartLibvirtd() throws Exception {
        long pid = Long.parseLong(Files.readString(Path.of("/run/libvirtd.pid")).strip());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        daemon.destroy();
        daemon.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        startDaemons("libvirtd -d");
    }

    private static void startDaemons(String commands) throws Exception {
        Command.check(List.of("unshare", "--mount", "sh", "-c",
                "mount --make-rprivate / && mount --bind \"$0\" /etc/libvirt/qemu.conf && " + commands, qemuConf.toString()),
                Duration.ofSeconds(30));
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Command.run(List.of("virsh", "-c", URI, "version"), Duration.ofSeconds(10)).ok()) {
            if (System.nanoTime() > until) throw new IllegalStateException("libvirtd did not answer within 30 s");
            Thread.sleep(250);
        }
    }

    /** Pauses or resumes the VM's machine behind the service's back, as an operator would. */
    static void pause(String driver, Path vmDir, boolean pause) throws IOException {
        String id = vmDir.getFileName().toString();
        if (driver.equals("libvirt")) {
            Command.check(List.of("virsh", "-c", URI, pause ? "suspend" : "resume", id), Duration.ofSeconds(30));
        } else {
            try (var qmp = dev.hangar.hypervisor.qemu.QmpClient.connect(vmDir.resolve("qmp.sock"), Duration.ofSeconds(5))) {
                qmp.execute(pause ? "stop" : "cont");
            }
        }
    }

    /** virsh's view of a domain (libvirt only): dominfo's lines. */
    static String dominfo(String vmId) throws IOException {
        return Command.check(List.of("virsh", "-c", URI, "dominfo", vmId), Duration.ofSeconds(30)).stdout();
    }

    /** Defines a small domain that never runs (no disk, no kernel), with extra XML inside it. */
    static void define(Path file, String name, String uuid, String extra) throws IOException {
        Files.writeString(file, "<domain type='qemu'><name>" + name + "</name><uuid>" + uuid + "</uuid>" + extra
                + "<memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os></domain>");
        Command.check(List.of("virsh", "-c", URI, "define", file.toString()), Duration.ofSeconds(30));
    }

    static void undefine(String uuid) throws IOException {
        Command.check(List.of("virsh", "-c", URI, "undefine", uuid), Duration.ofSeconds(30));
    }

    static String list() throws IOException {
        return Command.check(List.of("virsh", "-c", URI, "list", "--all"), Duration.ofSeconds(30)).stdout();
    }
}
