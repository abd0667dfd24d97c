package dev.hangar.api.hosts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmService;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;

/**
 * The DataCentred staging agent's API, in both its forms: the seed's {@code /host/:hostname/} (204/404
 * probes, 201/409 creates) and the later {@code /hosts} and {@code /networks} its real client uses.
 * Hosts are VMs with a name; networks are the core's defined networks (the built-in ones are Hangar's
 * own and not listed here, though a host may join them by name). Translates and nothing more.
 */
public final class HostsFace {
    private final VmService vms;
    private final NetworkService networks;

    public HostsFace(VmService vms, NetworkService networks) {
        this.vms = vms;
        this.networks = networks;
    }

    public void register(ApiServer server) {
        server.route("GET", "/host/:name", ex -> probe(ex, () -> host(ex)))
                .route("POST", "/host/:name", ex -> create(ex, false))
                .route("GET", "/host/:name/network/:network", ex -> probe(ex, () -> network(ex)))
                .route("POST", "/host/:name/network/:network", this::defineNetwork)
                .route("GET", "/hosts", this::list)
                .route("GET", "/hosts/:name", ex -> ex.json(200, render(host(ex))))
                .route("POST", "/hosts/:name", ex -> create(ex, true))
                .route("DELETE", "/hosts/:name", this::delete)
                .route("PUT", "/hosts/:name/start", this::start)
                .route("GET", "/hosts/:name/console", ex -> ex.text(200, vms.console(host(ex).id())))
                .route("GET", "/networks", this::listNetworks)
                .route("GET", "/networks/:network", ex -> ex.json(200, HostJson.render(network(ex))))
                .route("POST", "/networks/:network", this::defineNetwork)
                .route("DELETE", "/networks/:network", this::deleteNetwork);
    }

    /** The seed's probes: 204 when it exists, 404 when not, and no body either way. */
    private static void probe(Exchange ex, Runnable find) throws IOException {
        try {
            find.run();
        } catch (HangarException e) {
            if (e.kind() != HangarException.Kind.NOT_FOUND) throw e;
            ex.empty(404);
            return;
        }
        ex.empty(204);
    }

    private void create(Exchange ex, boolean laterForm) throws IOException {
        String name = VmRequest.checkedHostname(ex.pathParam("name"));
        JsonNode body = ex.jsonObject("invalid-json");
        try {
            vms.create(HostJson.parseCreate(name, body, laterForm), ex.afterAnswer());
        } catch (HangarException e) {
            if (e.code().equals("vm-name-taken")) throw hostExists(name);
            throw e;
        }
        ex.empty(201);
    }

    private void list(Exchange ex) throws IOException {
        List<Vm> hosts = hosts();
        ArrayNode all = Json.MAPPER.createArrayNode();
        for (int i = 0; i < hosts.size(); i++) all.add(HostJson.render(hosts.get(i), i + 1));
        ex.json(200, all);
    }

    private void delete(Exchange ex) throws IOException {
        vms.delete(host(ex).id());
        ex.empty(204);
    }

    private void start(Exchange ex) throws IOException {
        vms.start(host(ex).id());
        ex.empty(204);
    }

    private void listNetworks(Exchange ex) throws IOException {
        ArrayNode all = Json.MAPPER.createArrayNode();
        networks.list().stream().filter(n -> !n.builtin()).forEach(n -> all.add(HostJson.render(n)));
        ex.json(200, all);
    }

    private void defineNetwork(Exchange ex) throws IOException {
        String name = Network.checkedName(ex.pathParam("network"));
        JsonNode body = ex.jsonObject("invalid-json");
        String bridge = Fields.optionalString(body, "bridge", "invalid-bridge");
        if (bridge == null) throw HangarException.invalid("missing-bridge", "bridge (an Open vSwitch bridge) is required");
        networks.define(name, bridge, Fields.optionalInt(body, "vlan", "invalid-vlan"),
                Fields.optionalString(body, "subnet", "invalid-subnet"));
        ex.empty(201);
    }

    private void deleteNetwork(Exchange ex) throws IOException {
        networks.delete(network(ex).name());
        ex.empty(204);
    }

    private Vm host(Exchange ex) {
        String name = VmRequest.checkedHostname(ex.pathParam("name"));
        try {
            return vms.getByName(name);
        } catch (HangarException e) {
            if (e.kind() == HangarException.Kind.NOT_FOUND) {
                throw new HangarException(HangarException.Kind.NOT_FOUND, "host-not-found", "no host named " + name);
            }
            throw e;
        }
    }

    /** A defined network by the path's name; 404 for unknown and built-in ones alike. */
    private Network network(Exchange ex) {
        String name = Network.checkedName(ex.pathParam("network"));
        return networks.find(name).filter(n -> !n.builtin()).orElseThrow(() -> NetworkService.notFound(name));
    }

    /** Named VMs, oldest first: the position gives a running host its number, as libvirt numbers domains. */
    private List<Vm> hosts() {
        return vms.list().stream().filter(vm -> vm.name() != null).sorted(Comparator.comparing(Vm::createdAt)).toList();
    }

    private Object render(Vm vm) {
        List<Vm> hosts = hosts();
        int number = 1;
        for (int i = 0; i < hosts.size(); i++) if (hosts.get(i).id().equals(vm.id())) number = i + 1;
        return HostJson.render(vm, number);
    }

    private static HangarException hostExists(String name) {
        return new HangarException(HangarException.Kind.CONFLICT, "host-exists", "a host named " + name + " exists");
    }
}
