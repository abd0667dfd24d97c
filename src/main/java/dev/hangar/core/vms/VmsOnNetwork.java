package dev.hangar.core.vms;

import dev.hangar.core.networks.NetworkUsers;
import java.util.List;

/** The VMs with a NIC on a network, from their records: what the network service asks before it deletes one. */
public final class VmsOnNetwork implements NetworkUsers {
    private final VmStore vms;

    public VmsOnNetwork(VmStore vms) {
        this.vms = vms;
    }

    @Override
    public List<String> of(String network) {
        return vms.all().stream().filter(vm -> vm.nics().stream().anyMatch(n -> n.network().equals(network)))
                .map(vm -> vm.name() != null ? vm.name() : vm.id().toString()).toList();
    }
}
