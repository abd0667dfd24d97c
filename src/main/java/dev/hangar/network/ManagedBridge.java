package dev.hangar.network;

import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux bridge that Hangar owns, with a dnsmasq serving DHCP on it and, for NAT, a masquerade rule.
 * Made when first needed and left up across restarts of the service (the VMs on it keep running);
 * dnsmasq is found again through its pid file.
 */
final class ManagedBridge {
    private static final Logger log = LoggerFactory.getLogger(ManagedBridge.class);

    private final String name;
    private final Subnet subnet;
    private final boolean nat;
    private final Path stateDir;

    ManagedBridge(String name, Subnet subnet, boolean nat, Path stateDir) {
        this.name = name;
        this.subnet = subnet;
        this.nat = nat;
        this.stateDir = stateDir;
    }

    String name() { return name; }

    LeaseFile leases() { return new LeaseFile(stateDir.resolve(name + ".leases")); }

    synchronized void ensureUp() throws IOException {
        Files.createDirectories(stateDir);
        if (!Files.exists(Path.of("/sys/class/net", name))) {
            Command.check("ip", "link", "add", name, "type", "bridge");
            Command.check("ip", "addr", "add", subnet.gatewayCidr(), "dev", name);
            log.info("made bridge {} with {}", name, subnet.gatewayCidr());
        }
        Command.check("ip", "link", "set", name, "up");
        if (nat) ensureMasquerade();
        if (dnsmasqPid().isEmpty()) startDnsmasq();
    }

    private void ensureMasquerade() throws IOException {
        Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1");
        String[] rule = {"-t", "nat", "POSTROUTING", "-s", subnet.cidr(), "!", "-d", subnet.cidr(), "-j", "MASQUERADE"};
        if (!Command.run(iptables("-C", rule), java.time.Duration.ofSeconds(10)).ok()) {
            Command.check(iptables("-A", rule), java.time.Duration.ofSeconds(10));
            log.info("masquerading {} behind the host", subnet.cidr());
        }
    }

    private static java.util.List<String> iptables(String op, String[] rule) {
        var argv = new java.util.ArrayList<String>();
        argv.add("iptables");
        argv.add("-w");
        argv.add(rule[0]);
        argv.add(rule[1]);
        argv.add(op);
        argv.addAll(java.util.List.of(rule).subList(2, rule.length));
        return argv;
    }

    private void startDnsmasq() throws IOException {
        Command.check("dnsmasq", "--conf-file=/dev/null", "--port=0", "--interface=" + name, "--bind-interfaces",
                "--except-interface=lo", "--dhcp-authoritative", "--dhcp-no-override",
                "--dhcp-range=" + subnet.dhcpStart() + "," + subnet.dhcpEnd() + ",12h",
                "--dhcp-leasefile=" + leases().path(), "--pid-file=" + pidFile());
        log.info("dnsmasq serving DHCP on {} (pid {})", name, dnsmasqPid().orElse(-1L));
    }

    /** Releases the VM's lease at once, so its address is free and no stale lease is left behind. */
    void releaseLease(String mac) {
        leases().find(mac).ifPresent(lease -> {
            // dnsmasq matches a release on the client id when the guest sent one.
            var argv = new java.util.ArrayList<>(java.util.List.of("dhcp_release", name, lease.ip(), lease.mac()));
            if (lease.clientId() != null) argv.add(lease.clientId());
            try {
                Command.check(argv, java.time.Duration.ofSeconds(10));
            } catch (IOException e) {
                log.warn("could not release lease {} of {}: {}", lease.ip(), mac, e.getMessage());
            }
        });
    }

    /** Releases every lease of a MAC not in {@code keep}: addresses of VMs deleted while the service was down. */
    void releaseLeasesExcept(java.util.Set<String> keep) {
        if (dnsmasqPid().isEmpty()) return; // nothing serves these leases; dnsmasq drops expired ones at start
        for (LeaseFile.Lease lease : leases().all()) {
            if (!keep.contains(lease.mac())) {
                log.info("releasing leftover lease {} of {}", lease.ip(), lease.mac());
                releaseLease(lease.mac());
            }
        }
    }

    private Path pidFile() { return stateDir.resolve(name + ".dnsmasq.pid"); }

    /** The live dnsmasq we started for this bridge: the pid file must name a dnsmasq process. */
    Optional<Long> dnsmasqPid() {
        try {
            long pid = Long.parseLong(Files.readString(pidFile()).strip());
            String comm = Files.readString(Path.of("/proc", String.valueOf(pid), "comm")).strip();
            return comm.equals("dnsmasq") ? Optional.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
