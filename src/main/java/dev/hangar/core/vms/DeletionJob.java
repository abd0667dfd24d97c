package dev.hangar.core.vms;

import dev.hangar.core.FileTrees;
import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.RunningOperation;
import java.nio.file.Path;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's deletion, as a job of its own: its creation is called off, then, under its lock, the record says
 * deleting, the machine is stopped (ACPI, then forced, after the grace), its NICs detached, its directory
 * removed, and the record goes. A restarted service finds a record still deleting and runs it again.
 */
final class DeletionJob {
    private static final Logger log = LoggerFactory.getLogger(DeletionJob.class);

    private final WatchedVmStore vms;
    private final MachineLauncher launcher;
    private final MachineDriver driver;
    private final CreationJob creation;
    private final Operations operations;
    private final VmLocks locks;
    private final VmSettings settings;

    DeletionJob(WatchedVmStore vms, MachineLauncher launcher, MachineDriver driver, CreationJob creation, Operations operations,
                VmLocks locks, VmSettings settings) {
        this.vms = vms;
        this.launcher = launcher;
        this.driver = driver;
        this.creation = creation;
        this.operations = operations;
        this.locks = locks;
        this.settings = settings;
    }

    /** Deletes the VM; 404 vm-not-found when there is none. */
    void run(UUID id) {
        creation.cancel(id);
        locks.with(id, () -> {
            Vm vm = vms.find(id).orElseThrow(() -> VmService.notFound(id.toString()));
            RunningOperation op = operations.begin(VmOperationKinds.DELETE, id.toString());
            try {
                vms.update(vm.withStatus(VmStatus.DELETING));
                Path dir = launcher.dir(id);
                driver.stop(dir, settings.deleteGrace());
                launcher.detach(vm);
                FileTrees.delete(dir);
                FileTrees.delete(launcher.warmDisksDir(id));
                vms.delete(id);
            } catch (RuntimeException e) {
                // The record stays "deleting": the next start tries again.
                op.failed(e instanceof HangarException h ? Problem.of(h) : new Problem("vm-delete-failed", String.valueOf(e.getMessage())));
                throw e;
            }
            op.succeeded();
            log.info("VM {} deleted", id);
            return null;
        });
        locks.forget(id);
    }

    /** The same, for a deletion a restart resumes: a VM already gone is no failure. */
    void resume(UUID id) {
        try {
            run(id);
        } catch (HangarException e) {
            // already gone
        }
    }
}
