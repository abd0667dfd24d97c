package dev.hangar.core.groups;

import dev.hangar.core.HangarException;
import dev.hangar.core.vms.VmBlueprint;

/** The settings a group makes members with: its template's, read afresh each time, or its own. */
final class GroupBlueprints {
    private final TemplateStore templates;

    GroupBlueprints(TemplateStore templates) {
        this.templates = templates;
    }

    VmBlueprint of(Group group) {
        if (group.settings() != null) return group.settings();
        return templates.find(group.template()).map(Template::blueprint).orElseThrow(() -> new HangarException(
                HangarException.Kind.INTERNAL, "template-missing", "group " + group.name() + " uses template " + group.template()
                        + ", which is gone"));
    }
}
