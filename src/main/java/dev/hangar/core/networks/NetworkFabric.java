package dev.hangar.core.networks;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** The networks VMs attach to, as the core sees them: bridges, switches, DHCP. */
public interface NetworkFabric {
    /** The networks this host has without being asked: nat, hostonly and, when configured, bridged. */
    List<Network> builtins();

    /** Throws HangarException when VMs cannot join this network here (no rights to make bridges, no host bridge). */
    void checkAvailable(Network network);

    /**
     * Throws HangarException (400 bridge-not-allowed) when a network being defined names a bridge Hangar
     * may not take: one of this host's interfaces that is neither a switch Hangar made nor one the
     * operator listed, or the bridge of a built-in network.
     */
    void checkBridgeAllowed(Network network);

    /** Makes sure the network exists on the host and gives the NIC its port on it. Idempotent. */
    NetAttachment attach(Nic nic, Network network) throws IOException;

    /**
     * Gives the NIC a port on the network warm templates boot on: a bridge of its own with its own DHCP,
     * routed nowhere and joined by no VM, so a template's address never appears on a tenant network.
     * The attachment is of the kind the VMs' NICs get (a tap, or user mode), as a clone's must match its
     * template's. Idempotent.
     */
    NetAttachment attachIsolated(Nic nic) throws IOException;

    /** Removes the NIC's port and lease on the templates' network. Idempotent. */
    void detachIsolated(Nic nic);

    /** Removes the NIC's port and its DHCP lease. Idempotent. */
    void detach(Nic nic, Network network);

    /** The address the network's DHCP server leased to the NIC, if any. */
    Optional<String> leasedIp(Nic nic, Network network);

    /**
     * Watches the leases of these networks' DHCP servers from now on (the creation waits on it for a
     * guest's address instead of polling). Networks whose leases this host does not keep (user mode, a
     * bridge another DHCP server serves) never end a wait early.
     */
    default LeaseChanges watchLeases(Collection<Network> networks) {
        return LeaseChanges.none();
    }

    /** Takes a defined network down (its DHCP server; a switch Hangar made is left to the operator). */
    void remove(Network network);

    /** Removes ports and leases of this service that belong to none of {@code nics} (leftovers of a crash). */
    void removeLeftovers(Collection<Nic> nics, Collection<Network> networks);
}
