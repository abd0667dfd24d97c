package dev.hangar.core.groups;

import dev.hangar.core.HangarException;
import dev.hangar.core.vms.VmBlueprint;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.vms.VmService;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Templates and groups, as faces ask for them. Changes are stored and the reconciler is woken; it does
 * the work (see {@link GroupReconciler}), so every answer comes at once.
 */
public final class GroupService implements AutoCloseable {
    private static final int EVENTS_SHOWN = 20;

    private final TemplateStore templates;
    private final GroupStore groups;
    private final GroupBlueprints blueprints;
    private final GroupReconciler reconciler;
    private final VmService vms;
    private final Clock clock;

    /** @param resync how often every group is checked even when nothing was heard of its members */
    public GroupService(TemplateStore templates, GroupStore groups, VmService vms, Operations operations, Clock clock, Duration resync) {
        this.templates = templates;
        this.groups = groups;
        this.vms = vms;
        this.clock = clock;
        this.blueprints = new GroupBlueprints(templates);
        this.reconciler = new GroupReconciler(groups, vms, blueprints, operations, clock, resync);
    }

    /** Starts keeping groups at their size; call after the VM service has started (adopted what runs). */
    public void start() {
        reconciler.start();
    }

    // --- templates ---

    public Template createTemplate(String name, VmBlueprint blueprint) {
        Template t = new Template(Group.checkedName(name), blueprint.validated(), clock.instant(), clock.instant());
        vms.checkUrls(blueprint.request().build());
        templates.insert(t);
        return t;
    }

    public Template template(String name) {
        return templates.find(name).orElseThrow(() -> templateNotFound(name));
    }

    public List<Template> templates() {
        return templates.all();
    }

    /** Replaces a template's settings; the groups made from it roll their members onto them. */
    public Template updateTemplate(String name, VmBlueprint blueprint) {
        Template old = template(name);
        Template t = new Template(name, blueprint.validated(), old.createdAt(), clock.instant());
        vms.checkUrls(blueprint.request().build());
        templates.update(t);
        for (String g : groups.usingTemplate(name)) {
            event(g, "template " + name + " changed");
            reconciler.wake(g);
        }
        return t;
    }

    /** 409 template-in-use while a group is made from it. */
    public void deleteTemplate(String name) {
        template(name);
        List<String> users = groups.usingTemplate(name);
        if (!users.isEmpty()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "template-in-use",
                    "template " + name + " is used by group" + (users.size() > 1 ? "s " : " ") + String.join(", ", users));
        }
        templates.delete(name);
    }

    // --- groups ---

    public GroupView create(Group draft) {
        Group g = draft.stamped(clock.instant(), clock.instant()).validated();
        if (g.template() != null) template(g.template());
        if (g.settings() != null) vms.checkUrls(g.settings().request().build());
        groups.insert(g);
        event(g.name(), "created with " + g.desiredSize() + " members wanted");
        reconciler.wake(g.name());
        return view(g);
    }

    public GroupView get(String name) {
        return view(group(name));
    }

    public List<GroupView> list() {
        return groups.all().stream().map(this::view).toList();
    }

    /** Replaces the group's settings, size, logical IDs, unhealthy states and rolling switch with the draft's. */
    public GroupView update(Group draft) {
        Group old = group(draft.name());
        Group g = draft.named(old.name()).stamped(old.createdAt(), clock.instant()).validated();
        if (g.template() != null) template(g.template());
        if (g.settings() != null) vms.checkUrls(g.settings().request().build());
        groups.update(g);
        String before = blueprints.of(old).hash();
        String after = blueprints.of(g).hash();
        if (!before.equals(after)) event(g.name(), "settings changed (" + before + " → " + after + ")");
        if (g.desiredSize() != old.desiredSize()) event(g.name(), "size " + old.desiredSize() + " → " + g.desiredSize());
        if (g.rolling() != old.rolling()) event(g.name(), g.rolling() ? "rolling update resumed" : "rolling update stopped");
        reconciler.wake(g.name());
        return view(g);
    }

    public GroupView scale(String name, int size) {
        Group g = group(name);
        if (!g.logicalIds().isEmpty()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "group-has-logical-ids",
                    "group " + name + " is sized by its logical IDs; change logical_ids instead");
        }
        return update(g.withSize(size));
    }

    /** Removes the group at once; its members are then destroyed by the reconciler. */
    public void delete(String name) {
        group(name);
        groups.delete(name);
        reconciler.wake(name);
    }

    private Group group(String name) {
        return groups.find(name).orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "group-not-found", "no group named " + name));
    }

    private GroupView view(Group g) {
        String hash = blueprints.of(g).hash();
        var members = reconciler.members(g.name());
        return new GroupView(g, hash, members, GroupPlan.decide(g, hash, members), groups.events(g.name(), EVENTS_SHOWN));
    }

    private void event(String group, String message) {
        groups.addEvent(new GroupEvent(group, clock.instant(), message));
    }

    private static HangarException templateNotFound(String name) {
        return new HangarException(HangarException.Kind.NOT_FOUND, "template-not-found", "no template named " + name);
    }

    @Override
    public void close() {
        reconciler.stop();
    }
}
