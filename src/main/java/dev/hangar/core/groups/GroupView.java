package dev.hangar.core.groups;

import dev.hangar.core.vms.Vm;
import java.util.List;

/** A group as faces show it: its settings' hash, its members (newest first), what it does next, what it did. */
public record GroupView(Group group, String hash, List<Vm> members, GroupPlan plan, List<GroupEvent> events) {
    public long outdated() {
        return members.stream().filter(vm -> !hash.equals(vm.tags().get(GroupPlan.HASH_TAG))).count();
    }
}
