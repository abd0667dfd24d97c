package dev.hangar.network;

import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Open vSwitch, driven through ovs-vsctl. Hangar uses the host's own OVS when one runs; otherwise it
 * starts a private ovsdb-server and ovs-vswitchd under its data directory (their sockets, database,
 * logs and run directory there), which keep running across restarts of the service, like dnsmasq.
 * Bridges use the kernel datapath when the kernel has it, else OVS's userspace datapath (netdev).
 */
final class OpenVswitch {
    private static final Logger log = LoggerFactory.getLogger(OpenVswitch.class);
    private static final Path SYSTEM_DB = Path.of("/var/run/openvswitch/db.sock");
    private static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** Hangar's mark on a bridge it made. */
    static final String MANAGED = "external_ids:hangar-managed";

    private final Path dir;
    private String db; // "unix:PATH" once running

    OpenVswitch(Path stateDir) {
        this.dir = stateDir.resolve("ovs");
    }

    /** Whether OVS's programs are installed here. */
    static boolean installed() {
        return Files.isExecutable(Path.of("/usr/bin/ovs-vsctl")) && Files.isExecutable(Path.of("/usr/sbin/ovs-vswitchd"));
    }

    private Map<String, String> env() {
        return Map.of("OVS_RUNDIR", dir.toString(), "OVS_LOGDIR", dir.toString(), "OVS_DBDIR", dir.toString());
    }

    /** Makes sure an ovsdb-server and an ovs-vswitchd answer; the host's, else our own. */
    synchronized void ensureRunning() throws IOException {
        if (db != null && answers(db)) return;
        if (Files.exists(SYSTEM_DB) && answers("unix:" + SYSTEM_DB)) {
            db = "unix:" + SYSTEM_DB;
            log.info("using the host's Open vSwitch ({})", SYSTEM_DB);
            return;
        }
        Files.createDirectories(dir);
        Path sock = dir.resolve("db.sock");
        String mine = "unix:" + sock;
        if (!running("ovsdb-server")) {
            Path conf = dir.resolve("conf.db");
            if (!Files.exists(conf)) Command.check(List.of("ovsdb-tool", "create", conf.toString(), SCHEMA.toString()), env(), TIMEOUT);
            Command.check(List.of("ovsdb-server", conf.toString(), "--remote=punix:" + sock, "--no-chdir",
                    "--pidfile=" + dir.resolve("ovsdb-server.pid"), "--unixctl=" + dir.resolve("ovsdb-server.ctl"),
                    "--log-file=" + dir.resolve("ovsdb-server.log"), "--detach"), env(), TIMEOUT);
            Command.check(List.of("ovs-vsctl", "--db=" + mine, "--no-wait", "init"), env(), TIMEOUT);
        }
        if (!running("ovs-vswitchd")) {
            Command.check(List.of("ovs-vswitchd", mine, "--no-chdir", "--pidfile=" + dir.resolve("ovs-vswitchd.pid"),
                    "--unixctl=" + dir.resolve("ovs-vswitchd.ctl"), "--log-file=" + dir.resolve("ovs-vswitchd.log"),
                    "--detach"), env(), TIMEOUT);
            log.info("started Open vSwitch under {}", dir);
        }
        db = mine;
    }

    /** Whether bridges run in OVS's userspace datapath (netdev): the kernel has no openvswitch module loaded. */
    static boolean userspaceDatapath() {
        return !Files.exists(Path.of("/sys/module/openvswitch"));
    }

    /** Makes the bridge unless it exists; false when it existed (Hangar did not make it). */
    /** Whether the bridge is one Hangar made (it carries Hangar's mark). */
    boolean madeByHangar(String bridge) throws IOException {
        ensureRunning();
        if (!vsctl("br-exists", bridge).ok()) return false;
        var mark = vsctl("--if-exists", "get", "bridge", bridge, MANAGED);
        return mark.ok() && mark.stdout().strip().replace("\"", "").equals("true");
    }

    boolean ensureBridge(String bridge) throws IOException {
        if (vsctl("br-exists", bridge).ok()) return false;
        List<String> args = new ArrayList<>(List.of("--may-exist", "add-br", bridge));
        if (userspaceDatapath()) {
            args.addAll(List.of("--", "set", "bridge", bridge, "datapath_type=netdev"));
        }
        // Hangar's mark: another network may take this bridge later (another VLAN), a bridge without it not.
        args.addAll(List.of("--", "set", "bridge", bridge, MANAGED + "=true"));
        check(args.toArray(String[]::new));
        waitForLink(bridge);
        Command.check("ip", "link", "set", bridge, "up");
        log.info("made Open vSwitch bridge {}", bridge);
        return true;
    }

    /** Adds an existing device as a port, an access port of the VLAN when one is given. */
    void addPort(String bridge, String port, Integer vlan) throws IOException {
        List<String> args = new ArrayList<>(List.of("--may-exist", "add-port", bridge, port));
        if (vlan != null) args.add("tag=" + vlan);
        check(args.toArray(String[]::new));
    }

    /** Adds an internal port (a device of the host on the switch), on the VLAN when one is given. */
    void addInternalPort(String bridge, String port, Integer vlan) throws IOException {
        List<String> args = new ArrayList<>(List.of("--may-exist", "add-port", bridge, port));
        if (vlan != null) args.add("tag=" + vlan);
        args.addAll(List.of("--", "set", "interface", port, "type=internal"));
        check(args.toArray(String[]::new));
        waitForLink(port);
    }

    void deletePort(String port) {
        if (db == null) return;
        try {
            check("--if-exists", "del-port", port);
        } catch (IOException e) {
            log.warn("could not remove port {}: {}", port, e.getMessage());
        }
    }

    private void check(String... args) throws IOException {
        Command.check(argv(args), env(), TIMEOUT);
    }

    private Command.Result vsctl(String... args) throws IOException {
        return Command.run(argv(args), env(), TIMEOUT);
    }

    private List<String> argv(String... args) {
        List<String> a = new ArrayList<>(List.of("ovs-vsctl", "--db=" + db, "--timeout=15"));
        a.addAll(List.of(args));
        return a;
    }

    private boolean answers(String database) {
        try {
            return Command.run(List.of("ovs-vsctl", "--db=" + database, "--timeout=3", "show"), env(), Duration.ofSeconds(5)).ok()
                    && (database.equals("unix:" + SYSTEM_DB) ? running("/var/run/openvswitch/ovs-vswitchd.pid") : running("ovs-vswitchd"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the daemon whose pid file is named runs (a name alone means ours, under dir). */
    private boolean running(String daemonOrPidFile) {
        Path pidFile = daemonOrPidFile.startsWith("/") ? Path.of(daemonOrPidFile) : dir.resolve(daemonOrPidFile + ".pid");
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            String comm = Files.readString(Path.of("/proc", String.valueOf(pid), "comm")).strip();
            return comm.startsWith("ovs");
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** ovs-vswitchd makes the devices of bridges and internal ports a moment after ovs-vsctl returns. */
    private static void waitForLink(String name) throws IOException {
        for (int i = 0; i < 100 && !Files.exists(Path.of("/sys/class/net", name)); i++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for " + name);
            }
        }
        if (!Files.exists(Path.of("/sys/class/net", name))) throw new IOException("Open vSwitch did not make the device " + name);
    }
}
