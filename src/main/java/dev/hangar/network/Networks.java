package dev.hangar.network;

import dev.hangar.core.Vm;
import dev.hangar.hypervisor.NetAttachment;
import java.io.IOException;
import java.util.Optional;
import java.util.Collection;

/** The networks VMs attach to, as the core sees them. */
public interface Networks {
    /** Throws HangarException when VMs cannot be given this network here (e.g. no rights to make bridges). */
    void checkAvailable(Vm vm);

    /** Makes sure the VM's network exists and gives the VM its port on it. Idempotent. */
    NetAttachment attach(Vm vm) throws IOException;

    /** Removes the VM's port and its DHCP lease. Idempotent. */
    void detach(Vm vm);

    /** The address the network's DHCP server leased to the VM, if any. */
    Optional<String> leasedIp(Vm vm);

    /** Removes ports and leases that belong to none of {@code vms} (leftovers of a crash). */
    void removeLeftovers(Collection<Vm> vms);
}
