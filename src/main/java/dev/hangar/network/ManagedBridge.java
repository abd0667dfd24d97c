package dev.hangar.network;

import dev.hangar.core.networks.Subnet;
import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux bridge that Hangar owns, with a {@link Dnsmasq} serving DHCP and DNS on it. A NAT bridge
 * masquerades its subnet behind the host; a host-only bridge neither routes nor forwards: its guests
 * get no default route, and FORWARD rules reject anything entering or leaving it through the host
 * (ip_forward is host-wide, so isolation needs rules of its own, as libvirt's isolated networks have).
 * Made when first needed and left up across restarts of the service (the VMs on it keep running).
 */
final class ManagedBridge {
    private static final Logger log = LoggerFactory.getLogger(ManagedBridge.class);
    private static final Duration IPTABLES_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final Subnet subnet;
    private final boolean nat;
    private final boolean hostAccess;
    private final Dnsmasq dnsmasq;

    /** @param hostAccess whether its guests may reach the host's own services (else only DHCP and DNS; see HostGuard) */
    ManagedBridge(String name, Subnet subnet, boolean nat, boolean hostAccess, Path stateDir) {
        this.name = name;
        this.subnet = subnet;
        this.nat = nat;
        this.hostAccess = hostAccess;
        this.dnsmasq = new Dnsmasq(name, subnet, nat, stateDir);
    }

    String name() { return name; }

    Dnsmasq dhcp() { return dnsmasq; }

    synchronized void ensureUp() throws IOException {
        if (!Files.exists(Path.of("/sys/class/net", name))) {
            Command.check("ip", "link", "add", name, "type", "bridge");
            Command.check("ip", "addr", "add", subnet.gatewayCidr(), "dev", name);
            log.info("made bridge {} with {}", name, subnet.gatewayCidr());
        }
        Command.check("ip", "link", "set", name, "up");
        if (nat) {
            Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1");
            ensureRule("nat", "POSTROUTING", "-s", subnet.cidr(), "!", "-d", subnet.cidr(), "-j", "MASQUERADE");
        } else {
            ensureRule("filter", "FORWARD", "-i", name, "-j", "REJECT");
            ensureRule("filter", "FORWARD", "-o", name, "-j", "REJECT");
        }
        HostGuard.ensure(name, subnet, hostAccess);
        dnsmasq.ensureRunning();
    }

    /** Adds the rule unless it is there (-C): inserted first in its chain, so it wins over ACCEPT rules. */
    private static void ensureRule(String table, String chain, String... rule) throws IOException {
        if (Command.run(iptables(table, "-C", chain, rule), IPTABLES_TIMEOUT).ok()) return;
        Command.check(iptables(table, table.equals("nat") ? "-A" : "-I", chain, rule), IPTABLES_TIMEOUT);
        log.info("iptables -t {} {} {}", table, chain, String.join(" ", rule));
    }

    private static List<String> iptables(String table, String op, String chain, String[] rule) {
        List<String> argv = new ArrayList<>(List.of("iptables", "-w", "-t", table, op, chain));
        argv.addAll(List.of(rule));
        return argv;
    }
}
