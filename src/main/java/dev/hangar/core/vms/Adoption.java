package dev.hangar.core.vms;

import dev.hangar.core.FileTrees;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.InstallerSource;
import dev.hangar.core.networks.NetworkFabric;
import dev.hangar.core.networks.NetworkService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service does at start, before it answers: machines outlive it, so it adopts the ones that
 * run, resumes the jobs a restart cut off (creations, address waits, deletions, failure callbacks),
 * and removes what belongs to no record (VM directories with their machines, taps, leases,
 * half-made images and installer downloads).
 */
final class Adoption {
    private static final Logger log = LoggerFactory.getLogger(Adoption.class);

    private final VmStore vms;
    private final GoldImages images;
    private final InstallerSource installers;
    private final MachineDriver driver;
    private final NetworkFabric fabric;
    private final NetworkService networks;
    private final CreationJob creation;
    private final DeletionJob deletion;
    private final VmMonitor monitor;
    private final VmSettings settings;

    Adoption(VmStore vms, GoldImages images, InstallerSource installers, MachineDriver driver, NetworkFabric fabric, NetworkService networks,
             CreationJob creation, DeletionJob deletion, VmMonitor monitor, VmSettings settings) {
        this.vms = vms;
        this.images = images;
        this.installers = installers;
        this.driver = driver;
        this.fabric = fabric;
        this.networks = networks;
        this.creation = creation;
        this.deletion = deletion;
        this.monitor = monitor;
        this.settings = settings;
    }

    void adopt(ExecutorService jobs) throws IOException {
        Files.createDirectories(settings.vmsDir());
        images.removeLeftovers();
        installers.removeLeftovers();
        Set<String> known = new HashSet<>();
        Set<UUID> unreported = new HashSet<>(vms.awaitingAddress());
        List<Vm> all = vms.all();
        for (Vm vm : all) {
            known.add(vm.id().toString());
            switch (vm.status()) {
                case CREATING -> {
                    log.info("resuming creation of VM {} cut off by a restart", vm.id());
                    jobs.submit(() -> creation.run(vm.id()));
                }
                case DELETING -> jobs.submit(() -> deletion.resume(vm.id()));
                case POWERED_ON, SUSPENDED, POWERED_OFF -> {
                    monitor.refresh(vm);
                    if (unreported.contains(vm.id())) {
                        log.info("resuming the address wait and callback of VM {} cut off by a restart", vm.id());
                        jobs.submit(() -> creation.resumeReport(vm.id()));
                    }
                }
                case ERROR -> {
                    if (unreported.contains(vm.id())) jobs.submit(() -> creation.reportFailure(vm.id()));
                }
            }
        }
        removeLeftoverMachines(known);
        driver.removeLeftovers(known);
        fabric.removeLeftovers(all.stream().flatMap(vm -> vm.nics().stream()).toList(), networks.list());
    }

    private void removeLeftoverMachines(Set<String> known) throws IOException {
        Path warmDisks = MachineLauncher.warmDisksRoot(settings);
        if (Files.isDirectory(warmDisks)) {
            try (Stream<Path> dirs = Files.list(warmDisks)) {
                for (Path dir : dirs.filter(d -> !known.contains(d.getFileName().toString())).toList()) {
                    log.info("removing leftover warm disks {} (no record)", dir);
                    FileTrees.delete(dir);
                }
            }
        }
        try (Stream<Path> dirs = Files.list(settings.vmsDir())) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                if (known.contains(dir.getFileName().toString())) continue;
                log.info("removing leftover VM directory {} (no record)", dir);
                try {
                    driver.stop(dir, Duration.ZERO);
                    FileTrees.delete(dir);
                } catch (RuntimeException e) {
                    // One leftover the hypervisor will not end must not keep the service from starting.
                    log.warn("cannot remove leftover VM directory {}: {}", dir, e.getMessage());
                }
            }
        }
    }
}
