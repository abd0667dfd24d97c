package dev.hangar.network;

import dev.hangar.core.HangarException;
import dev.hangar.core.NetworkType;
import dev.hangar.core.Vm;
import dev.hangar.hypervisor.NetAttachment;
import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Networks made of Linux bridges and tap devices: nat and hostonly are managed bridges with their own
 * dnsmasq; bridged puts the VM's tap on a host bridge the operator names. Needs CAP_NET_ADMIN.
 */
public final class LinuxNetworks implements Networks {
    private static final Logger log = LoggerFactory.getLogger(LinuxNetworks.class);
    private static final String TAP_PREFIX = "hgt";

    private final NetworkSettings settings;
    private final ManagedBridge nat;
    private final ManagedBridge hostonly;
    /** Capabilities do not change while the service runs: read once, not on every POST. */
    private final boolean mayAdministerNetwork = canAdministerNetwork();

    public LinuxNetworks(NetworkSettings settings, Path stateDir) {
        this.settings = settings;
        this.nat = new ManagedBridge(settings.natBridge(), settings.natSubnet(), true, stateDir);
        this.hostonly = new ManagedBridge(settings.hostonlyBridge(), settings.hostonlySubnet(), false, stateDir);
    }

    @Override
    public void checkAvailable(Vm vm) {
        if (settings.userMode()) return;
        if (!mayAdministerNetwork) {
            throw new HangarException(HangarException.Kind.UNAVAILABLE, "network-permission-denied",
                    "Hangar needs root (CAP_NET_ADMIN) to make bridges and taps; run it as root, or start it with "
                            + "--network-mode user for user-mode networking");
        }
        if (vm.networkType() == NetworkType.BRIDGED) {
            if (settings.bridgedInterface() == null) {
                throw HangarException.invalid("network-not-configured",
                        "network_type bridged needs a host bridge: start Hangar with --bridged-interface BRIDGE");
            }
            if (!Files.exists(Path.of("/sys/class/net", settings.bridgedInterface(), "bridge"))) {
                throw new HangarException(HangarException.Kind.UNAVAILABLE, "network-not-found",
                        "the configured host bridge " + settings.bridgedInterface() + " does not exist");
            }
        }
    }

    @Override
    public NetAttachment attach(Vm vm) throws IOException {
        if (settings.userMode()) return NetAttachment.user();
        String bridge = switch (vm.networkType()) {
            case NAT -> { nat.ensureUp(); yield nat.name(); }
            case HOSTONLY -> { hostonly.ensureUp(); yield hostonly.name(); }
            case BRIDGED -> settings.bridgedInterface();
        };
        String tap = vm.tapName();
        if (!Files.exists(Path.of("/sys/class/net", tap))) {
            Command.check("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        }
        Command.check("ip", "link", "set", tap, "master", bridge);
        Command.check("ip", "link", "set", tap, "up");
        return NetAttachment.tap(tap);
    }

    @Override
    public void detach(Vm vm) {
        if (settings.userMode()) return;
        deleteTap(vm.tapName());
        managed(vm).ifPresent(b -> b.releaseLease(vm.mac()));
    }

    @Override
    public Optional<String> leasedIp(Vm vm) {
        if (settings.userMode()) return Optional.empty();
        return managed(vm).flatMap(b -> b.leases().ipFor(vm.mac()));
    }

    @Override
    public void removeLeftovers(Collection<Vm> vms) {
        if (settings.userMode()) return;
        Set<String> vmTaps = vms.stream().map(Vm::tapName).collect(Collectors.toSet());
        Set<String> macs = vms.stream().map(Vm::mac).collect(Collectors.toSet());
        for (ManagedBridge bridge : List.of(nat, hostonly)) bridge.releaseLeasesExcept(macs);
        try (Stream<Path> links = Files.list(Path.of("/sys/class/net"))) {
            links.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(TAP_PREFIX) && !vmTaps.contains(n))
                    .forEach(n -> {
                        log.info("removing leftover tap {}", n);
                        deleteTap(n);
                    });
        } catch (IOException e) {
            log.warn("cannot list network links: {}", e.getMessage());
        }
    }

    private Optional<ManagedBridge> managed(Vm vm) {
        return switch (vm.networkType()) {
            case NAT -> Optional.of(nat);
            case HOSTONLY -> Optional.of(hostonly);
            case BRIDGED -> Optional.empty();
        };
    }

    private static void deleteTap(String tap) {
        if (!Files.exists(Path.of("/sys/class/net", tap))) return;
        try {
            Command.check("ip", "link", "delete", tap);
        } catch (IOException e) {
            log.warn("could not delete tap {}: {}", tap, e.getMessage());
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
