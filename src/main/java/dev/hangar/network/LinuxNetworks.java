package dev.hangar.network;

import dev.hangar.core.HangarException;
import dev.hangar.core.networks.LeaseChanges;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.Nic;
import dev.hangar.process.Command;
import dev.hangar.process.QemuUsers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Networks made of Linux bridges, Open vSwitch and tap devices. nat and hostonly are managed bridges
 * with their own dnsmasq; bridged puts the NIC's tap on a host bridge the operator names; an OVS
 * network puts it on an Open vSwitch bridge as an access port of its VLAN, and with a subnet Hangar
 * serves DHCP and DNS there from an internal port. Needs CAP_NET_ADMIN.
 *
 * <p>Every tap carries its service's mark in its alias ({@code hangar:<instance id>}), so
 * two services on one host never take each other's taps for leftovers.
 */
public final class LinuxNetworks implements NetworkFabric {
    private static final Logger log = LoggerFactory.getLogger(LinuxNetworks.class);

    private final NetworkSettings settings;
    private final Path stateDir;
    private final ManagedBridge nat;
    private final ManagedBridge hostonly;
    /** Where warm templates boot: no NAT, no forwarding, no host access but its DHCP and DNS. */
    private final ManagedBridge templates;
    private final OpenVswitch ovs;
    private final String owner;
    /** DHCP servers of OVS networks with a subnet, by network name. */
    private final ConcurrentHashMap<String, Dnsmasq> subnetServers = new ConcurrentHashMap<>();
    /** Capabilities do not change while the service runs: read once, not on every POST. */
    private final boolean mayAdministerNetwork = canAdministerNetwork();

    /** @param instanceId this service's mark (see dev.hangar.app.Hangar), put in the alias of every tap it makes */
    public LinuxNetworks(NetworkSettings settings, Path stateDir, String instanceId) {
        this.settings = settings;
        this.stateDir = stateDir;
        this.nat = new ManagedBridge(settings.natBridge(), settings.natSubnet(), true, settings.hostAccess().contains(Network.NAT), stateDir);
        this.hostonly = new ManagedBridge(settings.hostonlyBridge(), settings.hostonlySubnet(), false,
                settings.hostAccess().contains(Network.HOSTONLY), stateDir);
        this.templates = new ManagedBridge(settings.templateBridge(), settings.templateSubnet(), false, false, stateDir);
        this.ovs = new OpenVswitch(stateDir);
        this.owner = "hangar:" + instanceId;
    }

    @Override
    public List<Network> builtins() {
        Instant epoch = Instant.EPOCH;
        return List.of(
                new Network(Network.NAT, Network.Kind.NAT, settings.natBridge(), null, settings.natSubnet(), true, epoch),
                new Network(Network.HOSTONLY, Network.Kind.HOSTONLY, settings.hostonlyBridge(), null, settings.hostonlySubnet(), true, epoch),
                new Network(Network.BRIDGED, Network.Kind.BRIDGED, settings.bridgedInterface(), null, null, true, epoch));
    }

    /** Why managed networks cannot be made now, or null (user mode needs nothing): for /readyz. */
    public String unusable() {
        if (settings.userMode() || mayAdministerNetwork) return null;
        return "bridges and taps need root (CAP_NET_ADMIN); run as root or with --network-mode user";
    }

    @Override
    public void checkBridgeAllowed(Network network) {
        String bridge = network.bridge();
        if (settings.allowedBridges().contains(bridge)) return;
        if (bridge.equals(settings.natBridge()) || bridge.equals(settings.hostonlyBridge()) || bridge.equals(settings.bridgedInterface())) {
            throw Network.bridgeNotAllowed(bridge + " is the bridge of a built-in network");
        }
        if (!Files.exists(Path.of("/sys/class/net", bridge))) return; // Hangar will make it, an Open vSwitch bridge of its own
        try {
            if (!settings.userMode() && mayAdministerNetwork && OpenVswitch.installed() && ovs.madeByHangar(bridge)) return;
        } catch (IOException e) {
            log.warn("cannot ask Open vSwitch about {}: {}", bridge, e.getMessage());
        }
        throw Network.bridgeNotAllowed(bridge + " is an interface of this host that Hangar did not make;"
                + " the operator may list it in \"bridges\" (--bridge) for networks to use");
    }

    @Override
    public void checkAvailable(Network network) {
        if (settings.userMode()) return;
        if (!mayAdministerNetwork) {
            throw new HangarException(HangarException.Kind.UNAVAILABLE, "network-permission-denied",
                    "Hangar needs root (CAP_NET_ADMIN) to make bridges and taps; run it as root, or start it with "
                            + "--network-mode user for user-mode networking");
        }
        switch (network.kind()) {
            case BRIDGED -> {
                if (network.bridge() == null) {
                    throw HangarException.invalid("network-not-configured",
                            "network_type bridged needs a host bridge: start Hangar with --bridged-interface BRIDGE");
                }
                if (!Files.exists(Path.of("/sys/class/net", network.bridge(), "bridge"))) {
                    throw new HangarException(HangarException.Kind.UNAVAILABLE, "bridge-not-found",
                            "the configured host bridge " + network.bridge() + " does not exist");
                }
            }
            case OVS -> {
                if (!OpenVswitch.installed()) {
                    throw new HangarException(HangarException.Kind.UNAVAILABLE, "openvswitch-unavailable",
                            "Open vSwitch is not installed on this host (Debian package openvswitch-switch)");
                }
            }
            case NAT, HOSTONLY -> { }
        }
    }

    private volatile boolean userModeGuarded;

    /**
     * In user mode, guests reach the host through their QEMU's sockets: the OUTPUT chain for the QEMUs'
     * uids (see {@link HostGuard}), made before the first guest starts. A service that is not root runs
     * QEMU as itself, which no rule can tell from the service: it says so once (the README too).
     */
    private synchronized void guardUserMode() throws IOException {
        if (userModeGuarded) return;
        boolean hostAccess = settings.hostAccess().contains(NetworkSettings.USER_MODE);
        if (QemuUsers.onThisHost().isPresent() && mayAdministerNetwork) {
            HostGuard.ensureForUserMode(QemuUsers.uidRange(), hostAccess);
        } else if (!hostAccess) {
            log.warn("user-mode guests reach this host's loopback (10.0.2.2) and addresses: only a root service, whose QEMUs"
                    + " run as uids of their own, keeps them out");
        }
        userModeGuarded = true;
    }

    @Override
    public NetAttachment attach(Nic nic, Network network) throws IOException {
        if (settings.userMode()) {
            guardUserMode();
            return NetAttachment.user();
        }
        String tap = ensureTap(nic);
        switch (network.kind()) {
            case NAT -> bridge(tap, nat);
            case HOSTONLY -> bridge(tap, hostonly);
            case BRIDGED -> Command.check("ip", "link", "set", tap, "master", network.bridge());
            case OVS -> {
                ovs.ensureRunning();
                ovs.ensureBridge(network.bridge());
                if (network.subnet() != null) ensureSubnet(network);
                ovs.addPort(network.bridge(), tap, network.vlan());
            }
        }
        Command.check("ip", "link", "set", tap, "up");
        // OVS's userspace datapath forwards frames between taps as they are: a guest that left a TCP
        // checksum to the host (virtio offload) would reach its peer with a bad one. Ping works, TCP not.
        return network.kind() == Network.Kind.OVS && OpenVswitch.userspaceDatapath()
                ? NetAttachment.tapWithoutOffload(tap) : NetAttachment.tap(tap);
    }

    @Override
    public NetAttachment attachIsolated(Nic nic) throws IOException {
        if (settings.userMode()) {
            guardUserMode();
            return NetAttachment.user();
        }
        String tap = ensureTap(nic);
        bridge(tap, templates);
        Command.check("ip", "link", "set", tap, "up");
        return NetAttachment.tap(tap);
    }

    @Override
    public void detachIsolated(Nic nic) {
        if (settings.userMode()) return;
        deleteTap(nic.tapName());
        templates.dhcp().releaseLease(nic.mac());
    }

    /** The NIC's tap, made unless it is there, marked as this service's. */
    private String ensureTap(Nic nic) throws IOException {
        String tap = nic.tapName();
        if (!Files.exists(Path.of("/sys/class/net", tap))) Command.check("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        Command.check("ip", "link", "set", "dev", tap, "alias", owner);
        return tap;
    }

    private static void bridge(String tap, ManagedBridge bridge) throws IOException {
        bridge.ensureUp();
        Command.check("ip", "link", "set", tap, "master", bridge.name());
    }

    /** The host's own port on an OVS network with a subnet: an internal port with the gateway address, and dnsmasq on it. */
    private void ensureSubnet(Network network) throws IOException {
        Dnsmasq dhcp = dhcp(network).orElseThrow();
        synchronized (dhcp) { // one network's set-up at a time: VMs joining it together race otherwise
            ensureSubnet(network, dhcp);
        }
    }

    private void ensureSubnet(Network network, Dnsmasq dhcp) throws IOException {
        String port = subnetPort(network);
        ovs.addInternalPort(network.bridge(), port, network.vlan());
        String addresses = Command.check(List.of("ip", "-o", "-4", "addr", "show", "dev", port), Duration.ofSeconds(10)).stdout();
        if (!addresses.contains(" " + network.subnet().gatewayCidr() + " ")) {
            Command.check("ip", "addr", "add", network.subnet().gatewayCidr(), "dev", port);
        }
        Command.check("ip", "link", "set", port, "up");
        HostGuard.ensure(port, network.subnet(), false);
        dhcp.ensureRunning();
    }

    @Override
    public void detach(Nic nic, Network network) {
        if (settings.userMode()) return;
        if (network.kind() == Network.Kind.OVS) ovs.deletePort(nic.tapName());
        deleteTap(nic.tapName());
        dhcp(network).ifPresent(d -> d.releaseLease(nic.mac()));
    }

    @Override
    public Optional<String> leasedIp(Nic nic, Network network) {
        if (settings.userMode()) return Optional.empty();
        return dhcp(network).flatMap(d -> d.leases().ipFor(nic.mac()));
    }

    @Override
    public LeaseChanges watchLeases(Collection<Network> networks) {
        if (settings.userMode()) return LeaseChanges.none();
        return LeaseWatch.of(networks.stream().map(this::dhcp).flatMap(Optional::stream).map(d -> d.leases().path()).toList());
    }

    @Override
    public void remove(Network network) {
        if (settings.userMode() || network.kind() != Network.Kind.OVS || network.subnet() == null) return;
        dhcp(network).ifPresent(Dnsmasq::stop);
        subnetServers.remove(network.name());
        ovs.deletePort(subnetPort(network));
    }

    @Override
    public void removeLeftovers(Collection<Nic> nics, Collection<Network> networks) {
        if (settings.userMode()) return;
        Set<String> taps = nics.stream().map(Nic::tapName).collect(Collectors.toSet());
        Set<String> macs = nics.stream().map(Nic::mac).collect(Collectors.toSet());
        for (Network n : networks) dhcp(n).ifPresent(d -> d.releaseLeasesExcept(macs));
        List<String> leftovers = new ArrayList<>();
        try (Stream<Path> links = Files.list(Path.of("/sys/class/net"))) {
            links.map(p -> p.getFileName().toString()).filter(n -> !taps.contains(n) && owner.equals(alias(n))).forEach(leftovers::add);
        } catch (IOException e) {
            log.warn("cannot list network links: {}", e.getMessage());
        }
        boolean anyOvs = networks.stream().anyMatch(n -> n.kind() == Network.Kind.OVS);
        for (String tap : leftovers) {
            log.info("removing leftover tap {}", tap);
            if (anyOvs) {
                try {
                    ovs.ensureRunning();
                    ovs.deletePort(tap);
                } catch (IOException e) {
                    log.warn("cannot reach Open vSwitch to remove port {}: {}", tap, e.getMessage());
                }
            }
            deleteTap(tap);
        }
    }

    private Optional<Dnsmasq> dhcp(Network network) {
        return switch (network.kind()) {
            case NAT -> Optional.of(nat.dhcp());
            case HOSTONLY -> Optional.of(hostonly.dhcp());
            case BRIDGED -> Optional.empty();
            case OVS -> network.subnet() == null ? Optional.empty() : Optional.of(subnetServers.computeIfAbsent(network.name(),
                    k -> new Dnsmasq(subnetPort(network), network.subnet(), false, stateDir)));
        };
    }

    /** The internal port's name: "hgn" and a hash of the network's name, within Linux's 15 characters. */
    private static String subnetPort(Network network) {
        return "hgn" + shortHash(network.name()).substring(0, 8);
    }

    private static String alias(String link) {
        try {
            return Files.readString(Path.of("/sys/class/net", link, "ifalias")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTap(String tap) {
        if (!Files.exists(Path.of("/sys/class/net", tap))) return;
        try {
            Command.check("ip", "link", "delete", tap);
        } catch (IOException e) {
            log.warn("could not delete tap {}: {}", tap, e.getMessage());
        }
    }

    private static String shortHash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Effective capabilities include CAP_NET_ADMIN (bit 12): root normally has it, a user normally not. */
    static boolean canAdministerNetwork() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << 12)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }
}
