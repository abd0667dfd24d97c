package dev.hangar.network;

import dev.hangar.core.networks.Subnet;
import dev.hangar.process.Command;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the guests of one of Hangar's networks off the host itself. A guest may answer what the host
 * began (the host fetching its page), ask the network's gateway for DHCP and DNS (dnsmasq) and ping it,
 * and reach nothing else of this host, on any of its addresses: a packet from the guest for any address
 * of the host enters through INPUT on the network's interface, whichever address it names. What it sends
 * on through the host (NAT) never goes to a link-local address, where cloud metadata services answer.
 * Two chains of Hangar's own per interface, {@code HANGAR-IN-<if>} and {@code HANGAR-FW-<if>}, rebuilt
 * whole each time (so a changed rule takes effect at the next start) and jumped to first from INPUT and
 * FORWARD. A network whose operator wants its guests to reach the host ({@code --allow-host-access})
 * gets no INPUT chain.
 *
 * <p>In user mode there is no interface to filter on: QEMU's own user network (slirp) makes each of the
 * guest's connections as a socket of the QEMU process, and maps the guest's 10.0.2.2 to the host's
 * 127.0.0.1; QEMU 7.2 has no option to stop that mapping. Every QEMU runs as a uid of the range
 * {@link dev.hangar.process.QemuUsers} reserves, so one chain, {@code HANGAR-OUT-QEMU}, jumped to from
 * OUTPUT for sockets of those uids, refuses every address of the host (loopback included) but its DNS
 * port (slirp's 10.0.2.3 forwards to the host's resolver, which may listen on loopback), and every
 * link-local address; what the host began (a forwarded port's answers) passes.
 */
final class HostGuard {
    private static final Logger log = LoggerFactory.getLogger(HostGuard.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final String LINK_LOCAL = "169.254.0.0/16";

    private HostGuard() {}

    /** The chains for guests on interface {@code dev} of this subnet; with hostAccess, only the FORWARD one. */
    static void ensure(String dev, Subnet subnet, boolean hostAccess) throws IOException {
        String in = "HANGAR-IN-" + dev;
        String fw = "HANGAR-FW-" + dev;
        chain(fw, List.of(
                List.of("-d", LINK_LOCAL, "-j", "REJECT", "--reject-with", "icmp-net-prohibited")));
        jump("FORWARD", dev, fw);
        if (hostAccess) {
            unjump("INPUT", dev, in);
            return;
        }
        String gateway = subnet.gatewayCidr().substring(0, subnet.gatewayCidr().indexOf('/'));
        chain(in, List.of(
                // Answers to what the host began (the host fetching a guest's page, the console's ssh): not the guest's own asking.
                List.of("-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"),
                List.of("-p", "udp", "--dport", "67", "-j", "ACCEPT"), // DHCP: to the broadcast address too
                List.of("-d", gateway, "-p", "udp", "--dport", "53", "-j", "ACCEPT"),
                List.of("-d", gateway, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"),
                List.of("-d", gateway, "-p", "icmp", "--icmp-type", "echo-request", "-j", "ACCEPT"),
                List.of("-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"),
                List.of("-j", "REJECT", "--reject-with", "icmp-port-unreachable")));
        jump("INPUT", dev, in);
    }

    static final String USER_MODE_CHAIN = "HANGAR-OUT-QEMU";

    /** The OUTPUT chain for QEMUs in user mode, whose uids are uidRange; with hostAccess, none. */
    static void ensureForUserMode(String uidRange, boolean hostAccess) throws IOException {
        List<String> match = List.of("-m", "owner", "--uid-owner", uidRange);
        if (hostAccess) {
            while (Command.run(jumpRule("-C", match), TIMEOUT).ok()) Command.check(jumpRule("-D", match), TIMEOUT);
            return;
        }
        chain(USER_MODE_CHAIN, List.of(
                List.of("-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"),
                List.of("-m", "addrtype", "--dst-type", "LOCAL", "-p", "udp", "--dport", "53", "-j", "RETURN"),
                List.of("-m", "addrtype", "--dst-type", "LOCAL", "-p", "tcp", "--dport", "53", "-j", "RETURN"),
                List.of("-m", "addrtype", "--dst-type", "LOCAL", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"),
                List.of("-m", "addrtype", "--dst-type", "LOCAL", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"),
                List.of("-d", LINK_LOCAL, "-j", "REJECT", "--reject-with", "icmp-net-prohibited")));
        if (Command.run(jumpRule("-C", match), TIMEOUT).ok()) return;
        Command.check(jumpRule("-I", match), TIMEOUT);
        log.info("iptables: OUTPUT of QEMU's user network (uids {}) goes through {}", uidRange, USER_MODE_CHAIN);
    }

    private static List<String> jumpRule(String op, List<String> match) {
        List<String> argv = iptables(op, "OUTPUT");
        argv.addAll(match);
        argv.addAll(List.of("-j", USER_MODE_CHAIN));
        return argv;
    }

    /** Makes the chain (unless it exists) and fills it with exactly these rules. */
    private static void chain(String name, List<List<String>> rules) throws IOException {
        if (!Command.run(iptables("-n", "-L", name), TIMEOUT).ok()) Command.check(iptables("-N", name), TIMEOUT);
        Command.check(iptables("-F", name), TIMEOUT);
        for (List<String> rule : rules) {
            List<String> argv = iptables("-A", name);
            argv.addAll(rule);
            Command.check(argv, TIMEOUT);
        }
    }

    /** Jumps from the built-in chain to ours first, for packets coming in on dev, unless it does already. */
    private static void jump(String from, String dev, String to) throws IOException {
        if (Command.run(iptables("-C", from, "-i", dev, "-j", to), TIMEOUT).ok()) return;
        Command.check(iptables("-I", from, "-i", dev, "-j", to), TIMEOUT);
        log.info("iptables: {} from {} goes through {}", from, dev, to);
    }

    private static void unjump(String from, String dev, String to) throws IOException {
        while (Command.run(iptables("-C", from, "-i", dev, "-j", to), TIMEOUT).ok()) {
            Command.check(iptables("-D", from, "-i", dev, "-j", to), TIMEOUT);
        }
    }

    private static List<String> iptables(String... args) {
        List<String> argv = new ArrayList<>(List.of("iptables", "-w", "-t", "filter"));
        argv.addAll(List.of(args));
        return argv;
    }
}
