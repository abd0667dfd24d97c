package dev.hangar.core.vms;

import dev.hangar.core.operations.Operations;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every few seconds, brings each settled VM's record in line with its machine: status from the driver,
 * a missing address from its lease, the end of a network install (the installer powered the machine
 * off: from now on it boots its disk). VMs whose creation still waits for their address are watched
 * too, so a guest that dies then reads powered-off within one interval.
 */
final class VmMonitor {
    private static final Logger log = LoggerFactory.getLogger(VmMonitor.class);

    private final VmStore vms;
    private final MachineDriver driver;
    private final MachineLauncher launcher;
    private final GuestObserver guests;
    private final Operations operations;
    private final VmLocks locks;
    private final Duration interval;
    private final BooleanSupplier running;

    VmMonitor(VmStore vms, MachineDriver driver, MachineLauncher launcher, GuestObserver guests, Operations operations,
              VmLocks locks, Duration interval, BooleanSupplier running) {
        this.vms = vms;
        this.driver = driver;
        this.launcher = launcher;
        this.guests = guests;
        this.operations = operations;
        this.locks = locks;
        this.interval = interval;
        this.running = running;
    }

    void watch() {
        // Where the hypervisor reports changes, a machine's record follows at once, not at the next poll.
        driver.onStateChange(id -> Thread.ofVirtual().start(() -> {
            try {
                vms.find(java.util.UUID.fromString(id)).ifPresent(this::refresh);
            } catch (RuntimeException e) {
                log.warn("refreshing VM {} on an event: {}", id, e.toString());
            }
        }));
        while (running.getAsBoolean()) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            for (Vm vm : vms.all()) {
                try {
                    refresh(vm);
                    if (vm.status().isSettled()) driver.housekeep(launcher.dir(vm.id()));
                } catch (RuntimeException e) {
                    log.warn("watching VM {}: {}", vm.id(), e.toString());
                }
            }
        }
    }

    /** Skips a VM whose lock is held: a delete, a start or a job is changing it right now. */
    void refresh(Vm seen) {
        if (!seen.status().isSettled()) return;
        locks.ifFree(seen.id(), () -> {
            Vm vm = vms.find(seen.id()).orElse(null);
            if (vm == null || !vm.status().isSettled()) return;
            VmStatus status = switch (driver.state(launcher.dir(vm.id()))) {
                case RUNNING -> VmStatus.POWERED_ON;
                case PAUSED -> VmStatus.SUSPENDED;
                case STOPPED -> VmStatus.POWERED_OFF;
                case UNKNOWN -> vm.status();
            };
            Vm now = vm.withStatus(status);
            if (status == VmStatus.POWERED_OFF && vm.boot() instanceof BootSource.NetworkInstall) {
                log.info("VM {}: the installer powered it off; it boots from its disk from now on", vm.id());
                now = now.toBuilder().boot(new BootSource.Disk()).build();
                // The install's operation, begun by the creation (or, after a restart, found again by its id).
                operations.begin(VmOperationKinds.INSTALL, vm.id().toString()).succeeded();
            }
            if (status == VmStatus.POWERED_ON && vm.ipAddress().isEmpty()) now = guests.observe(now, false);
            if (!now.equals(vm)) {
                if (status != vm.status()) log.info("VM {} is {}", vm.id(), status.wireName());
                vms.update(now);
            }
        });
    }
}
