package dev.hangar.core.groups;

import dev.hangar.core.HangarException;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances of groups that an outside group plugin keeps at a size (InfraKit's, through the instance
 * plugin protocol): VMs of origin INFRAKIT, whose instance ID is the VM's id. The group plugin decides
 * their number; Hangar decides what counts as an instance. One that powered off, was suspended or
 * failed is not described, so the group plugin replaces it, as the seed promised; Hangar then removes
 * it in the background, unless the operator keeps such VMs for inspection.
 */
public final class PluginInstances implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginInstances.class);

    private final VmService vms;
    private final boolean keepFailed;
    private final ExecutorService removals = Executors.newVirtualThreadPerTaskExecutor();
    /** The VMs whose background removal runs, so that two describes never start two deletes of one VM. */
    private final Set<UUID> removing = ConcurrentHashMap.newKeySet();

    public PluginInstances(VmService vms, boolean keepFailed) {
        this.vms = vms;
        this.keepFailed = keepFailed;
    }

    public Vm provision(VmRequest request) {
        if (request.origin() != Vm.Origin.INFRAKIT) throw new IllegalArgumentException("not an instance request: " + request.origin());
        Vm vm = vms.create(request);
        log.info("InfraKit instance {} provisioned (tags {})", vm.id(), vm.tags());
        return vm;
    }

    /** Merges the labels into the instance's tags. */
    public void label(String instance, Map<String, String> labels) {
        Vm vm = instance(instance);
        Map<String, String> tags = new LinkedHashMap<>(vm.tags());
        tags.putAll(labels);
        vms.retag(vm.id(), tags);
    }

    /** Powers the instance off and removes everything of it. */
    public void destroy(String instance) {
        Vm vm = instance(instance);
        vms.delete(vm.id());
        log.info("InfraKit instance {} destroyed", vm.id());
    }

    /** The instances that carry every one of the tags and are creating or powered on; the others are removed unless kept. */
    public List<Vm> describe(Map<String, String> tags) {
        List<Vm> out = new ArrayList<>();
        for (Vm vm : vms.list(tags)) {
            if (vm.origin() != Vm.Origin.INFRAKIT) continue;
            switch (vm.status()) {
                case CREATING, POWERED_ON -> out.add(vm);
                case POWERED_OFF, SUSPENDED, ERROR -> {
                    if (!keepFailed) removeInBackground(vm);
                }
                case DELETING -> { }
            }
        }
        return out;
    }

    private void removeInBackground(Vm vm) {
        if (!removing.add(vm.id())) return;
        log.info("InfraKit instance {} is {}: removing it so that its group replaces it", vm.id(), vm.status().wireName());
        removals.submit(() -> {
            try {
                vms.delete(vm.id());
            } catch (HangarException e) {
                if (!e.code().equals("vm-not-found")) log.warn("removing InfraKit instance {}: {}", vm.id(), e.getMessage());
            } catch (RuntimeException e) {
                log.warn("removing InfraKit instance {} failed", vm.id(), e);
            } finally {
                removing.remove(vm.id()); // a later describe tries again if it is still there
            }
        });
    }

    /** The VM an instance ID names; an ID that names no instance is vm-not-found, as on /vms. */
    private Vm instance(String id) {
        if (id == null) throw HangarException.invalid("invalid-instance", "Instance must be an instance ID");
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw VmService.notFound(id);
        }
        // find, not get: get refuses a VM whose files are gone, and Destroy must still remove it.
        return vms.find(uuid).filter(vm -> vm.origin() == Vm.Origin.INFRAKIT).orElseThrow(() -> VmService.notFound(id));
    }

    @Override
    public void close() {
        removals.shutdownNow();
    }
}
