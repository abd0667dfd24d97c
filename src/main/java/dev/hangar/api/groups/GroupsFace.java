package dev.hangar.api.groups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.groups.Group;
import dev.hangar.core.groups.GroupEvent;
import dev.hangar.core.groups.GroupPlan;
import dev.hangar.core.groups.GroupService;
import dev.hangar.core.groups.GroupView;
import dev.hangar.core.groups.Template;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmBlueprint;
import dev.hangar.core.vms.VmStatus;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hangar's own API for templates ({@code /templates}) and groups kept at a size ({@code /groups}).
 * Translates JSON to the core's templates and groups and back.
 */
public final class GroupsFace {
    private final GroupService service;

    public GroupsFace(GroupService service) {
        this.service = service;
    }

    public void register(ApiServer server) {
        server.route("POST", "/templates", this::createTemplate)
                .route("GET", "/templates", this::listTemplates)
                .route("GET", "/templates/:name", ex -> ex.json(200, render(service.template(ex.pathParam("name")))))
                .route("PUT", "/templates/:name", this::updateTemplate)
                .route("DELETE", "/templates/:name", this::deleteTemplate)
                .route("POST", "/groups", this::createGroup)
                .route("GET", "/groups", this::listGroups)
                .route("GET", "/groups/:name", ex -> ex.json(200, render(service.get(ex.pathParam("name")))))
                .route("PUT", "/groups/:name", this::updateGroup)
                .route("PUT", "/groups/:name/size", this::scale)
                .route("DELETE", "/groups/:name", this::deleteGroup);
    }

    private void createTemplate(Exchange ex) throws IOException {
        JsonNode body = ex.jsonObject("invalid-template");
        Template t = service.createTemplate(Fields.requiredString(body, "name", "invalid-template-name"), SettingsJson.parse(body));
        ex.setHeader("Location", "/templates/" + t.name());
        ex.json(201, render(t));
    }

    private void listTemplates(Exchange ex) throws IOException {
        ArrayNode all = Json.MAPPER.createArrayNode();
        service.templates().forEach(t -> all.add(render(t)));
        ex.json(200, all);
    }

    /** The body is the template's new settings, whole (its name comes from the path). */
    private void updateTemplate(Exchange ex) throws IOException {
        ex.json(200, render(service.updateTemplate(ex.pathParam("name"), SettingsJson.parse(ex.jsonObject("invalid-template")))));
    }

    private void deleteTemplate(Exchange ex) throws IOException {
        service.deleteTemplate(ex.pathParam("name"));
        ex.empty(204);
    }

    private void createGroup(Exchange ex) throws IOException {
        JsonNode body = ex.jsonObject("invalid-group");
        Group draft = new Group(Fields.requiredString(body, "name", "invalid-group-name"), null, null, null, null, null, true, null, null);
        GroupView g = service.create(applied(draft, body));
        ex.setHeader("Location", "/groups/" + g.group().name());
        ex.json(201, render(g));
    }

    private void listGroups(Exchange ex) throws IOException {
        ArrayNode all = Json.MAPPER.createArrayNode();
        service.list().forEach(g -> all.add(render(g)));
        ex.json(200, all);
    }

    /** Fields given replace the group's; fields left out keep their value. */
    private void updateGroup(Exchange ex) throws IOException {
        Group current = service.get(ex.pathParam("name")).group();
        ex.json(200, render(service.update(applied(current, ex.jsonObject("invalid-group")))));
    }

    private void scale(Exchange ex) throws IOException {
        Integer size = Fields.optionalInt(ex.jsonObject("invalid-size"), "size", "invalid-size");
        if (size == null) throw HangarException.invalid("invalid-size", "size is required");
        ex.json(200, render(service.scale(ex.pathParam("name"), size)));
    }

    /** 202: the group is gone at once; its members are destroyed in the background. */
    private void deleteGroup(Exchange ex) throws IOException {
        GroupView g = service.get(ex.pathParam("name"));
        service.delete(g.group().name());
        ObjectNode o = Json.MAPPER.createObjectNode().put("name", g.group().name()).put("status", "deleting");
        o.put("members_to_destroy", g.members().size());
        ex.json(202, o);
    }

    /** The group with the body's fields applied: template or settings, size or logical_ids, unhealthy, rolling. */
    private static Group applied(Group g, JsonNode body) {
        String template = g.template();
        VmBlueprint settings = g.settings();
        if (body.has("template") && body.has("settings")) {
            throw HangarException.invalid("invalid-group-settings", "send template or settings, not both");
        }
        if (body.has("template")) {
            template = Fields.optionalString(body, "template", "invalid-template-name");
            settings = null;
        }
        if (body.has("settings")) {
            settings = Fields.present(body.get("settings")) ? SettingsJson.parse(body.get("settings")) : null;
            template = null;
        }
        Integer size = body.has("size") ? Fields.optionalInt(body, "size", "invalid-size") : g.size();
        List<String> logicalIds = body.has("logical_ids") ? Fields.optionalStrings(body, "logical_ids", "invalid-logical-ids") : g.logicalIds();
        if (body.has("size") && !body.has("logical_ids") && size != null) logicalIds = List.of();
        if (body.has("logical_ids") && !body.has("size")) size = null;
        Set<VmStatus> unhealthy = g.unhealthy();
        if (body.has("unhealthy")) {
            List<String> words = Fields.optionalStrings(body, "unhealthy", "invalid-unhealthy");
            unhealthy = new HashSet<>();
            for (String w : words == null ? List.<String>of() : words) {
                try {
                    unhealthy.add(VmStatus.fromWire(w));
                } catch (IllegalArgumentException e) {
                    throw HangarException.invalid("invalid-unhealthy", "unknown VM status " + w);
                }
            }
        }
        Boolean rolling = Fields.optionalBoolean(body, "rolling", "invalid-rolling");
        return new Group(g.name(), template, settings, size, logicalIds, unhealthy, rolling == null ? g.rolling() : rolling,
                g.createdAt(), g.updatedAt());
    }

    static ObjectNode render(Template t) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("name", t.name());
        SettingsJson.render(t.blueprint(), o);
        o.put("created_at", t.createdAt().toString());
        o.put("updated_at", t.updatedAt().toString());
        return o;
    }

    static ObjectNode render(GroupView v) {
        Group g = v.group();
        ObjectNode o = Json.MAPPER.createObjectNode().put("name", g.name());
        if (g.template() != null) o.put("template", g.template());
        else SettingsJson.render(g.settings(), o.putObject("settings"));
        o.put("size", g.desiredSize());
        var ids = o.putArray("logical_ids");
        g.logicalIds().forEach(ids::add);
        var unhealthy = o.putArray("unhealthy");
        g.unhealthy().stream().map(VmStatus::wireName).sorted().forEach(unhealthy::add);
        o.put("rolling", g.rolling());
        o.put("config_hash", v.hash());
        o.put("actual", v.members().size());
        o.put("ready", v.members().stream().filter(vm -> vm.status() == VmStatus.POWERED_ON && !vm.ipAddress().isEmpty()).count());
        o.put("outdated", v.outdated());
        o.put("plan", v.plan().summary());
        ArrayNode members = o.putArray("members");
        for (Vm vm : v.members()) {
            ObjectNode m = members.addObject().put("id", vm.id().toString());
            if (vm.name() != null) m.put("name", vm.name());
            String logicalId = vm.tags().get(GroupPlan.LOGICAL_ID_TAG);
            if (logicalId != null) m.put("logical_id", logicalId);
            m.put("status", vm.status().wireName()).put("ip_address", vm.ipAddress())
                    .put("config_hash", vm.tags().getOrDefault(GroupPlan.HASH_TAG, ""))
                    .put("outdated", !v.hash().equals(vm.tags().get(GroupPlan.HASH_TAG)))
                    .put("created_at", vm.createdAt().toString());
        }
        ArrayNode events = o.putArray("events");
        for (GroupEvent e : v.events()) events.addObject().put("at", e.at().toString()).put("message", e.message());
        o.put("created_at", g.createdAt().toString());
        o.put("updated_at", g.updatedAt().toString());
        return o;
    }
}
