package dev.hangar.api.infrakit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.vms.VmJson;
import dev.hangar.core.groups.PluginInstances;
import dev.hangar.core.vms.Vm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The InfraKit instance plugin's operations, translated to {@link PluginInstances}; whichever wire
 * form carried them ({@link InfrakitProtocol}). The Spec becomes a VM request ({@link InstanceSpecs});
 * an instance comes back as its ID, logical ID, tags and, when asked, the VM as {@code /vms} shows it.
 */
public final class InfrakitFace {
    private final PluginInstances instances;

    public InfrakitFace(PluginInstances instances) {
        this.instances = instances;
    }

    /**
     * Serves the plugin, in both its wire forms, on a Unix socket at that path: a listener of its own,
     * with the plugin's routes and error shape, closed (and its socket file removed) by the caller.
     */
    public ApiServer serve(Path socket) throws IOException {
        ApiServer server = new ApiServer();
        new InfrakitProtocol(this).register(server);
        server.start(socket);
        return server;
    }

    /** One instance as DescribeInstances answers it. */
    record Description(String id, String logicalId, Map<String, String> tags, ObjectNode properties) {}

    /** Checks what Validate was sent (Properties, or a whole Spec) as Provision would; makes nothing. */
    public void validate(JsonNode propertiesOrSpec) {
        InstanceSpecs.toRequest(InstanceSpecs.asSpec(propertiesOrSpec));
    }

    /** Creates the VM; its id is the instance ID. */
    public String provision(JsonNode spec) {
        return instances.provision(InstanceSpecs.toRequest(spec)).id().toString();
    }

    public void label(String instance, Map<String, String> labels) {
        instances.label(instance, labels);
    }

    public void destroy(String instance) {
        instances.destroy(instance);
    }

    List<Description> describe(Map<String, String> tags, boolean withProperties) {
        return instances.describe(tags).stream().map(vm -> new Description(vm.id().toString(), logicalId(vm), vm.tags(),
                withProperties ? VmJson.render(vm) : null)).toList();
    }

    /** The logical ID as the Spec sent it (the name is its lower-case form). */
    private static String logicalId(Vm vm) {
        return vm.tags().getOrDefault(InstanceSpecs.LOGICAL_ID_TAG, vm.name());
    }
}
