package dev.hangar.core.networks;

import dev.hangar.core.HangarException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Named networks: the built-in ones of the fabric, and those defined through an API (an Open vSwitch
 * bridge, a VLAN tag, optionally a subnet with DHCP and DNS). Names are global: two faces naming one
 * network mean the same one.
 */
public final class NetworkService {
    private final NetworkStore store;
    private final NetworkFabric fabric;
    private final NetworkUsers users;
    private final Clock clock;

    public NetworkService(NetworkStore store, NetworkFabric fabric, NetworkUsers users, Clock clock) {
        this.store = store;
        this.fabric = fabric;
        this.users = users;
        this.clock = clock;
    }

    /** Built-in networks first, then defined ones, oldest first. */
    public List<Network> list() {
        List<Network> all = new ArrayList<>(fabric.builtins());
        all.addAll(store.all());
        return all;
    }

    public Optional<Network> find(String name) {
        return fabric.builtins().stream().filter(n -> n.name().equals(name)).findFirst().or(() -> store.find(name));
    }

    /** The network a VM asks for by name; 400 unknown-network when there is none. */
    public Network resolve(String name) {
        return find(name).orElseThrow(() -> HangarException.invalid("unknown-network",
                "there is no network named \"" + name + "\"; define it first (POST /networks/" + name + ")"));
    }

    /** Throws when VMs cannot join the network on this host (no rights to make bridges, no host bridge). */
    public void checkUsable(Network network) {
        fabric.checkAvailable(network);
    }

    /** Defines an Open vSwitch network; 409 network-exists when the name is taken. */
    public Network define(String name, String bridge, Integer vlan, String subnet) {
        Network.checkedName(name);
        Network.checkedBridge(bridge);
        Network.checkedVlan(vlan);
        Subnet parsed = subnet == null ? null : Subnet.checked(subnet);
        if (find(name).isPresent()) throw exists(name);
        if (parsed != null && list().stream().anyMatch(n -> parsed.equals(n.subnet()))) {
            throw new HangarException(HangarException.Kind.CONFLICT, "subnet-in-use", "another network already uses " + parsed.cidr());
        }
        Network network = new Network(name, Network.Kind.OVS, bridge, vlan, parsed, false, clock.instant());
        fabric.checkBridgeAllowed(network);
        fabric.checkAvailable(network);
        store.insert(network);
        return network;
    }

    /** Removes a defined network; 409 when it is built in or a VM still has a NIC on it. */
    public void delete(String name) {
        Network network = find(name).orElseThrow(() -> notFound(name));
        if (network.builtin()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "network-builtin", "the built-in network " + name + " cannot be deleted");
        }
        List<String> using = users.of(name);
        if (!using.isEmpty()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "network-in-use", "network " + name + " is used by " + String.join(", ", using));
        }
        fabric.remove(network);
        store.delete(name);
    }

    public static HangarException notFound(String name) {
        return new HangarException(HangarException.Kind.NOT_FOUND, "network-not-found", "no network named " + name);
    }

    static HangarException exists(String name) {
        return new HangarException(HangarException.Kind.CONFLICT, "network-exists", "a network named " + name + " exists");
    }
}
