package dev.hangar.network;

import dev.hangar.core.networks.Subnet;
import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dnsmasq serving DHCP and DNS on one interface, as libvirt runs it: DNS listens on the interface's
 * address only and is what DHCP hands out as the resolver, so guests resolve names through the host
 * (its /etc/hosts and resolvers, and the names of the guests' own leases). On a network that must not
 * route, the router option is sent empty. It outlives the service and is found again by its pid file;
 * one started with other arguments (an older Hangar's) is replaced.
 */
final class Dnsmasq {
    private static final Logger log = LoggerFactory.getLogger(Dnsmasq.class);

    private final String iface;
    private final Subnet subnet;
    private final boolean router;
    private final Path stateDir;

    Dnsmasq(String iface, Subnet subnet, boolean router, Path stateDir) {
        this.iface = iface;
        this.subnet = subnet;
        this.router = router;
        this.stateDir = stateDir;
    }

    LeaseFile leases() { return new LeaseFile(stateDir.resolve(iface + ".leases")); }

    private Path pidFile() { return stateDir.resolve(iface + ".dnsmasq.pid"); }

    List<String> argv() {
        List<String> a = new ArrayList<>(List.of("dnsmasq", "--conf-file=/dev/null",
                "--interface=" + iface, "--bind-interfaces", "--except-interface=lo",
                // plain names and private reverse lookups are answered here, never sent upstream
                "--domain-needed", "--bogus-priv",
                "--dhcp-authoritative", "--dhcp-no-override",
                // Hangar owns the subnet and knows every address it hands out: the ping dnsmasq sends
                // before an offer (about 3 s of waiting for no answer) buys nothing. Clones of one image
                // may send one DHCP client id: their MACs, not it, tell them apart.
                "--no-ping", "--dhcp-ignore-clid",
                "--dhcp-range=" + subnet.dhcpStart() + "," + subnet.dhcpEnd() + ",12h",
                "--dhcp-leasefile=" + leases().path(), "--pid-file=" + pidFile()));
        if (!router) a.add("--dhcp-option=3"); // an empty router option: no default route for the guests
        return a;
    }

    synchronized void ensureRunning() throws IOException {
        Files.createDirectories(stateDir);
        Optional<Long> running = pid();
        if (running.isPresent()) {
            if (cmdline(running.get()).equals(String.join(" ", argv()))) return;
            log.info("dnsmasq on {} runs with other arguments (an earlier version's); restarting it", iface);
            stop();
        }
        Command.check(argv(), Duration.ofSeconds(10));
        log.info("dnsmasq serving DHCP and DNS on {} (pid {})", iface, pid().orElse(-1L));
    }

    /** Ends the dnsmasq we started for this interface, if it runs. */
    synchronized void stop() {
        pid().ifPresent(pid -> ProcessHandle.of(pid).ifPresent(p -> {
            p.destroy();
            try {
                p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }));
    }

    /** Releases the MAC's lease at once, so its address is free and no stale lease is left behind. */
    void releaseLease(String mac) {
        leases().find(mac).ifPresent(lease -> {
            // dnsmasq matches a release on the client id when the guest sent one.
            List<String> argv = new ArrayList<>(List.of("dhcp_release", iface, lease.ip(), lease.mac()));
            if (lease.clientId() != null) argv.add(lease.clientId());
            try {
                Command.check(argv, Duration.ofSeconds(10));
            } catch (IOException e) {
                log.warn("could not release lease {} of {}: {}", lease.ip(), mac, e.getMessage());
            }
        });
    }

    /** Releases every lease of a MAC not in {@code keep}: addresses of VMs deleted while the service was down. */
    void releaseLeasesExcept(Set<String> keep) {
        if (pid().isEmpty()) return; // nothing serves these leases; dnsmasq drops expired ones at start
        for (LeaseFile.Lease lease : leases().all()) {
            if (!keep.contains(lease.mac())) {
                log.info("releasing leftover lease {} of {}", lease.ip(), lease.mac());
                releaseLease(lease.mac());
            }
        }
    }

    /** The live dnsmasq we started for this interface: the pid file must name a dnsmasq process. */
    Optional<Long> pid() {
        try {
            long pid = Long.parseLong(Files.readString(pidFile()).strip());
            String comm = Files.readString(Path.of("/proc", String.valueOf(pid), "comm")).strip();
            return comm.equals("dnsmasq") ? Optional.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }
}
