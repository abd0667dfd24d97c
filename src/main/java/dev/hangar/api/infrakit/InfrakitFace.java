package dev.hangar.api.infrakit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.vms.VmJson;
import dev.hangar.core.HangarException;
import dev.hangar.core.Vm;
import dev.hangar.core.VmService;
import dev.hangar.core.VmStatus;
import java.io.IOException;
import java.nio.file.Path;
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
 * The InfraKit instance plugin's operations, translated to {@link VmService}; whichever wire form
 * carried them ({@link InfrakitProtocol}). Instances are the VMs of origin INFRAKIT; the instance ID
 * is the VM's id.
 *
 * <p>An instance that powered off, was suspended or failed is not described, so the group plugin
 * replaces it, as the seed promised; Hangar deletes it in the background, unless the operator keeps
 * such VMs for inspection.
 */
public final class InfrakitFace implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InfrakitFace.class);

    private final VmService service;
    private final boolean keepFailed;
    private final ExecutorService removals = Executors.newVirtualThreadPerTaskExecutor();
    /** The VMs whose background deletion runs, so that two describes never start two deletes of one VM. */
    private final Set<UUID> removing = ConcurrentHashMap.newKeySet();

    public InfrakitFace(VmService service, boolean keepFailed) {
        this.service = service;
        this.keepFailed = keepFailed;
    }

    /** Serves the plugin, in both its wire forms, on a Unix socket at that path. */
    public UnixSocketServer serve(Path socket) throws IOException {
        return UnixSocketServer.start(socket, new InfrakitProtocol(this));
    }

    /** One instance as DescribeInstances answers it. */
    record Description(String id, String logicalId, Map<String, String> tags, ObjectNode properties) {}

    /** Checks what Validate was sent (Properties, or a whole Spec) as Provision would; makes nothing. */
    public void validate(JsonNode propertiesOrSpec) {
        InstanceSpecs.toRequest(InstanceSpecs.asSpec(propertiesOrSpec));
    }

    /** Creates the VM; its id is the instance ID. */
    public String provision(JsonNode spec) {
        Vm vm = service.create(InstanceSpecs.toRequest(spec));
        log.info("InfraKit instance {} provisioned (tags {})", vm.id(), vm.tags());
        return vm.id().toString();
    }

    /** Merges the labels into the instance's tags. */
    public void label(String instance, Map<String, String> labels) {
        Vm vm = instance(instance);
        Map<String, String> tags = new LinkedHashMap<>(vm.tags());
        tags.putAll(labels);
        service.retag(vm.id(), tags);
    }

    /** Powers the instance off and removes everything of it. */
    public void destroy(String instance) {
        Vm vm = instance(instance);
        service.delete(vm.id());
        log.info("InfraKit instance {} destroyed", vm.id());
    }

    /**
     * The instances that carry every one of the tags and are creating or powered on. Those that
     * powered off, were suspended or failed are left out, and removed unless kept.
     */
    List<Description> describe(Map<String, String> tags, boolean withProperties) {
        List<Description> out = new ArrayList<>();
        for (Vm vm : service.list(tags)) {
            if (vm.origin() != Vm.Origin.INFRAKIT) continue;
            switch (vm.status()) {
                case CREATING, POWERED_ON -> out.add(new Description(vm.id().toString(), logicalId(vm), vm.tags(),
                        withProperties ? VmJson.render(vm) : null));
                case POWERED_OFF, SUSPENDED, ERROR -> {
                    if (!keepFailed) removeInBackground(vm);
                }
                case DELETING -> { }
            }
        }
        return out;
    }

    /** The logical ID as the Spec sent it (the name is its lower-case form). */
    private static String logicalId(Vm vm) {
        return vm.tags().getOrDefault(InstanceSpecs.LOGICAL_ID_TAG, vm.name());
    }

    private void removeInBackground(Vm vm) {
        if (!removing.add(vm.id())) return;
        log.info("InfraKit instance {} is {}: removing it so that its group replaces it", vm.id(), vm.status().wireName());
        removals.submit(() -> {
            try {
                service.delete(vm.id());
            } catch (HangarException e) {
                if (!e.code().equals("vm-not-found")) log.warn("removing InfraKit instance {}: {}", vm.id(), e.getMessage());
            } catch (RuntimeException e) {
                log.warn("removing InfraKit instance {} failed", vm.id(), e);
            } finally {
                removing.remove(vm.id()); // a later describe tries again if it is still there
            }
        });
    }

    /** The VM an instance ID names; an ID that names no VM of this face is vm-not-found, as on /vms. */
    private Vm instance(String id) {
        if (id == null) throw HangarException.invalid("invalid-instance", "Instance must be an instance ID");
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw VmService.notFound(id);
        }
        // From the list rather than get(): get refuses a VM whose files are gone, and Destroy must still remove it.
        Vm vm = service.list(Map.of()).stream().filter(v -> v.id().equals(uuid)).findFirst().orElseThrow(() -> VmService.notFound(id));
        if (vm.origin() != Vm.Origin.INFRAKIT) throw VmService.notFound(id);
        return vm;
    }

    @Override
    public void close() {
        removals.shutdownNow();
    }
}
