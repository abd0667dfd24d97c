package dev.hangar.core.groups;

import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What a group needs next, decided from what is (level-triggered): the same group and members always
 * give the same plan, so running it twice, or again after a restart, neither doubles nor loses members.
 * Pure: it only reads its arguments.
 *
 * <p>Order of concerns: unhealthy members go first (they are replaced by the growth that follows);
 * then the count: surplus is removed (outdated members first, then the newest), shortfall is made up
 * with members of the current settings; then, at the desired size, a rolling update replaces one
 * outdated member at a time: a new member is started, and once it is powered on with an address an
 * outdated one is removed.
 */
public record GroupPlan(String summary, List<Removal> removals, List<Addition> additions) {
    public static final String GROUP_TAG = "infrakit.group";
    public static final String HASH_TAG = "infrakit.config.hash";
    public static final String LOGICAL_ID_TAG = "infrakit.logical_id";

    public record Removal(UUID vm, String why) {}

    /** A member to create; logicalId is null in a group of interchangeable members. */
    public record Addition(String logicalId) {}

    public GroupPlan {
        removals = List.copyOf(removals);
        additions = List.copyOf(additions);
    }

    public boolean isSteady() {
        return removals.isEmpty() && additions.isEmpty();
    }

    /**
     * @param hash the hash of the group's current settings
     * @param members the group's members, any status but deleting
     */
    public static GroupPlan decide(Group group, String hash, List<Vm> members) {
        List<Removal> removals = new ArrayList<>();
        List<Vm> live = new ArrayList<>();
        for (Vm vm : members) {
            if (group.unhealthy().contains(vm.status())) removals.add(new Removal(vm.id(), "replacing a member that is " + vm.status().wireName()));
            else live.add(vm);
        }
        return group.logicalIds().isEmpty() ? bySize(group, hash, live, removals) : byLogicalId(group, hash, live, removals);
    }

    private static GroupPlan bySize(Group group, String hash, List<Vm> live, List<Removal> removals) {
        int n = group.desiredSize();
        List<Vm> current = live.stream().filter(vm -> hash.equals(vm.tags().get(HASH_TAG))).toList();
        List<Vm> outdated = live.stream().filter(vm -> !hash.equals(vm.tags().get(HASH_TAG))).toList();
        boolean rolling = group.rolling() && !outdated.isEmpty() && n > 0;
        int allowed = rolling ? n + 1 : n; // one new member beside the old ones while rolling

        if (live.size() > allowed) {
            // Outdated first (oldest of them first), then the newest of the current ones.
            List<Vm> order = new ArrayList<>(outdated.stream().sorted(Comparator.comparing(Vm::createdAt)).toList());
            order.addAll(current.stream().sorted(Comparator.comparing(Vm::createdAt).reversed()).toList());
            for (Vm vm : order.subList(0, live.size() - allowed)) removals.add(new Removal(vm.id(), "scaling down to " + n));
            return new GroupPlan("scaling down: " + live.size() + " of " + n, removals, List.of());
        }
        if (live.size() < n) {
            List<Addition> additions = new ArrayList<>();
            for (int i = live.size(); i < n; i++) additions.add(new Addition(null));
            String why = removals.isEmpty() ? "scaling up: " + live.size() + " of " + n : "replacing " + removals.size() + " unhealthy";
            return new GroupPlan(why, removals, additions);
        }
        if (!rolling) {
            String summary = !removals.isEmpty() ? "replacing " + removals.size() + " unhealthy"
                    : !outdated.isEmpty() ? "update stopped: " + outdated.size() + " of " + n + " outdated"
                    : "steady: " + n + " of " + n;
            return new GroupPlan(summary, removals, List.of());
        }
        String step = "rolling " + (n - outdated.size() + 1) + " of " + n;
        List<Vm> starting = current.stream().filter(vm -> !ready(vm)).toList();
        if (!starting.isEmpty()) {
            return new GroupPlan(step + ": waiting for " + starting.getFirst().id() + " to be powered on with an address", removals, List.of());
        }
        if (live.size() == n) return new GroupPlan(step + ": starting a new member", removals, List.of(new Addition(null)));
        Vm oldest = outdated.stream().min(Comparator.comparing(Vm::createdAt)).orElseThrow();
        removals.add(new Removal(oldest.id(), "rolled: replaced by a member of the new settings"));
        return new GroupPlan(step + ": removing " + oldest.id(), removals, List.of());
    }

    /** One member per logical ID, named after it; a rolling update replaces one member at a time (names are unique). */
    private static GroupPlan byLogicalId(Group group, String hash, List<Vm> live, List<Removal> removals) {
        Set<String> wanted = new HashSet<>(group.logicalIds());
        Set<String> held = new HashSet<>();
        List<Vm> outdated = new ArrayList<>();
        boolean busy = false;
        for (Vm vm : live.stream().sorted(Comparator.comparing(Vm::createdAt)).toList()) {
            String id = vm.tags().get(LOGICAL_ID_TAG);
            if (id == null || !wanted.contains(id) || !held.add(id)) {
                removals.add(new Removal(vm.id(), "logical ID " + id + " is not wanted"));
            } else if (!hash.equals(vm.tags().get(HASH_TAG))) {
                outdated.add(vm);
            } else if (!ready(vm)) {
                busy = true;
            }
        }
        List<Addition> additions = new ArrayList<>();
        for (String id : group.logicalIds()) {
            if (!held.contains(id)) additions.add(new Addition(id));
        }
        int n = group.desiredSize();
        if (!additions.isEmpty() || !removals.isEmpty()) {
            return new GroupPlan("converging: " + (n - additions.size()) + " of " + n + " logical IDs held", removals, additions);
        }
        if (outdated.isEmpty()) return new GroupPlan("steady: " + n + " of " + n, removals, additions);
        if (!group.rolling()) return new GroupPlan("update stopped: " + outdated.size() + " of " + n + " outdated", removals, additions);
        String step = "rolling " + (n - outdated.size() + 1) + " of " + n;
        if (busy) return new GroupPlan(step + ": waiting for the new member to be powered on with an address", removals, additions);
        Vm next = outdated.getFirst();
        removals.add(new Removal(next.id(), "rolled: " + next.tags().get(LOGICAL_ID_TAG) + " is recreated with the new settings"));
        return new GroupPlan(step + ": recreating " + next.tags().get(LOGICAL_ID_TAG), removals, additions);
    }

    /** A member that serves: powered on with an address. */
    static boolean ready(Vm vm) {
        return vm.status() == VmStatus.POWERED_ON && !vm.ipAddress().isEmpty();
    }
}
