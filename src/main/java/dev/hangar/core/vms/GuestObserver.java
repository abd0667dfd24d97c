package dev.hangar.core.vms;

import dev.hangar.core.networks.LeaseChanges;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.networks.Nic;
import java.util.Optional;

/**
 * What a running guest shows of itself: its address from a DHCP lease (or the guest agent), its OS from
 * the agent. Asked by the creation (waiting for the address it reports) and by the monitor (a VM that
 * got its address later); neither asks the other.
 */
final class GuestObserver {
    private final MachineDriver driver;
    private final MachineLauncher launcher;
    private final NetworkFabric fabric;
    private final NetworkService networks;

    GuestObserver(MachineDriver driver, MachineLauncher launcher, NetworkFabric fabric, NetworkService networks) {
        this.driver = driver;
        this.launcher = launcher;
        this.fabric = fabric;
        this.networks = networks;
    }

    /** The VM with its address and guest OS filled in from a DHCP lease or, if asked, the guest agent. */
    Vm observe(Vm vm, boolean askAgent) {
        String ip = leasedIp(vm).orElse("");
        String os = vm.guestOs();
        if (askAgent && (ip.isEmpty() || os.isEmpty())) {
            Optional<GuestInfo> agent = driver.guestInfo(launcher.dir(vm.id()));
            if (agent.isPresent()) {
                if (ip.isEmpty()) ip = agent.get().ipAddress();
                if (os.isEmpty()) os = agent.get().osName();
            }
        }
        return vm.toBuilder().ipAddress(ip.isEmpty() ? vm.ipAddress() : ip).guestOs(os).build();
    }

    /**
     * Waits until the VM shows an address or {@code limit} has passed (or {@code keepGoing} says stop),
     * woken by its networks' lease changes; with {@code askAgent}, its guest agent is asked too, about
     * once a second (where no lease is seen: user mode). Whether it showed one.
     */
    boolean awaitAddress(Vm vm, java.time.Duration limit, boolean askAgent, java.util.function.BooleanSupplier keepGoing) {
        long until = System.nanoTime() + limit.toNanos();
        int round = 0;
        try (LeaseChanges leases = watchLeases(vm)) {
            while (System.nanoTime() < until && keepGoing.getAsBoolean()) {
                if (!observe(vm, askAgent && ++round % 5 == 0).ipAddress().isEmpty()) return true;
                leases.await(java.time.Duration.ofMillis(200));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** A watch on the leases of the VM's networks, to wait on for its address. */
    LeaseChanges watchLeases(Vm vm) {
        return fabric.watchLeases(vm.nics().stream().map(nic -> networks.find(nic.network())).flatMap(Optional::stream).toList());
    }

    /** The first address any NIC holds a lease for. */
    private Optional<String> leasedIp(Vm vm) {
        for (Nic nic : vm.nics()) {
            Optional<String> ip = networks.find(nic.network()).flatMap(n -> fabric.leasedIp(nic, n));
            if (ip.isPresent()) return ip;
        }
        return Optional.empty();
    }
}
