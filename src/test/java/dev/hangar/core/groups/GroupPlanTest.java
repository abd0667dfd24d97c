package dev.hangar.core.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmBlueprint;
import dev.hangar.core.vms.VmStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a group does next, from what is: one plan per state, whoever asks and however often. */
class GroupPlanTest {
    static final VmBlueprint SETTINGS = new VmBlueprint(new BootSource.Image(
            new ImageRef("http://images.test/a.tar.gz", "ab".repeat(32), ChecksumType.SHA256)), 1, 256L, null, null, null, null, false);
    static final String NEW = "new-hash";
    static final String OLD = "old-hash";
    int clock;

    Group group(int size) {
        return new Group("web", null, SETTINGS, size, List.of(), null, true, Instant.EPOCH, Instant.EPOCH);
    }

    Vm member(String hash, VmStatus status, String ip) {
        return member(hash, status, ip, null);
    }

    Vm member(String hash, VmStatus status, String ip, String logicalId) {
        Map<String, String> tags = new HashMap<>(Map.of(GroupPlan.GROUP_TAG, "web", GroupPlan.HASH_TAG, hash));
        if (logicalId != null) tags.put(GroupPlan.LOGICAL_ID_TAG, logicalId);
        return Vm.builder().id(UUID.randomUUID()).tags(tags).origin(Vm.Origin.GROUPS).status(status).ipAddress(ip)
                .createdAt(Instant.EPOCH.plusSeconds(clock++)).build();
    }

    Vm ready(String hash) {
        return member(hash, VmStatus.POWERED_ON, "10.0.0." + (clock + 2));
    }

    @Test
    void anEmptyGroupMakesAllItsMembersAndAFullOneDoesNothing() {
        GroupPlan up = GroupPlan.decide(group(3), NEW, List.of());
        assertEquals(3, up.additions().size());
        assertEquals("scaling up: 0 of 3", up.summary());

        List<Vm> three = List.of(ready(NEW), ready(NEW), member(NEW, VmStatus.CREATING, ""));
        GroupPlan steady = GroupPlan.decide(group(3), NEW, three);
        assertTrue(steady.isSteady(), "members still creating count: a restart mid-scale-up makes no extra ones");
        assertEquals("steady: 3 of 3", steady.summary());
        assertEquals(steady, GroupPlan.decide(group(3), NEW, three), "the same state, the same plan");
    }

    @Test
    void unhealthyMembersAreRemovedAndReplacedAsTheGroupSays() {
        Vm off = member(NEW, VmStatus.POWERED_OFF, "");
        Vm suspended = member(NEW, VmStatus.SUSPENDED, "10.0.0.9");
        Vm failed = member(NEW, VmStatus.ERROR, "");
        GroupPlan plan = GroupPlan.decide(group(4), NEW, List.of(ready(NEW), off, suspended, failed));
        assertEquals(Set.of(off.id(), suspended.id(), failed.id()), ids(plan.removals()));
        assertEquals(3, plan.additions().size());

        Group tolerant = new Group("web", null, SETTINGS, 2, List.of(), Set.of(VmStatus.ERROR), true, Instant.EPOCH, Instant.EPOCH);
        assertTrue(GroupPlan.decide(tolerant, NEW, List.of(ready(NEW), suspended)).isSteady(), "suspended is healthy in this group");
    }

    @Test
    void scalingDownRemovesOutdatedMembersFirstThenTheNewest() {
        Vm oldest = ready(NEW);
        Vm outdated = ready(OLD);
        Vm middle = ready(NEW);
        Vm newest = ready(NEW);
        Group stopped = new Group("web", null, SETTINGS, 2, List.of(), null, false, Instant.EPOCH, Instant.EPOCH);
        GroupPlan plan = GroupPlan.decide(stopped, NEW, List.of(oldest, outdated, middle, newest));
        assertEquals(List.of(outdated.id(), newest.id()), plan.removals().stream().map(GroupPlan.Removal::vm).toList());
        assertEquals("scaling down: 4 of 2", plan.summary());
        assertEquals(0, GroupPlan.decide(group(0), NEW, List.of()).additions().size());
    }

    @Test
    void aRollStartsOneNewMemberWaitsForItsAddressThenRemovesTheOldestOutdatedOne() {
        Vm a = ready(OLD);
        Vm b = ready(OLD);
        Vm c = ready(OLD);
        GroupPlan start = GroupPlan.decide(group(3), NEW, List.of(a, b, c));
        assertEquals("rolling 1 of 3: starting a new member", start.summary());
        assertEquals(1, start.additions().size());
        assertTrue(start.removals().isEmpty(), "nothing old goes before something new serves");

        Vm fresh = member(NEW, VmStatus.CREATING, "");
        GroupPlan waiting = GroupPlan.decide(group(3), NEW, List.of(a, b, c, fresh));
        assertTrue(waiting.isSteady());
        assertTrue(waiting.summary().startsWith("rolling 1 of 3: waiting for " + fresh.id()), waiting.summary());
        Vm upNoAddress = fresh.toBuilder().status(VmStatus.POWERED_ON).build();
        assertTrue(GroupPlan.decide(group(3), NEW, List.of(a, b, c, upNoAddress)).isSteady(), "powered on is not enough: it needs its address");

        Vm serving = fresh.toBuilder().status(VmStatus.POWERED_ON).ipAddress("10.0.0.50").build();
        GroupPlan swap = GroupPlan.decide(group(3), NEW, List.of(c, b, a, serving));
        assertEquals(List.of(a.id()), swap.removals().stream().map(GroupPlan.Removal::vm).toList());
        assertTrue(swap.additions().isEmpty());

        GroupPlan next = GroupPlan.decide(group(3), NEW, List.of(b, c, serving));
        assertEquals("rolling 2 of 3: starting a new member", next.summary());
        Group stopped = new Group("web", null, SETTINGS, 3, List.of(), null, false, Instant.EPOCH, Instant.EPOCH);
        GroupPlan halted = GroupPlan.decide(stopped, NEW, List.of(b, c, serving));
        assertTrue(halted.isSteady());
        assertEquals("update stopped: 2 of 3 outdated", halted.summary());
    }

    @Test
    void aRestartBetweenTheNewMemberAndTheRemovalGoesOnWhereItWas() {
        // Four members for a size of three, one of them new and serving: the roll's second half, not a surplus of new ones.
        List<Vm> members = List.of(ready(OLD), ready(OLD), ready(OLD), ready(NEW));
        GroupPlan plan = GroupPlan.decide(group(3), NEW, members);
        assertEquals(1, plan.removals().size());
        assertEquals(OLD, members.stream().filter(v -> v.id().equals(plan.removals().getFirst().vm())).findFirst().orElseThrow()
                .tags().get(GroupPlan.HASH_TAG));
        assertTrue(plan.additions().isEmpty());
    }

    @Test
    void logicalIdsGetOneMemberEachAndRollOneAtATime() {
        Group byId = new Group("db", null, SETTINGS, null, List.of("db-1", "db-2", "db-3"), null, true, Instant.EPOCH, Instant.EPOCH);
        Vm one = member(OLD, VmStatus.POWERED_ON, "10.0.0.2", "db-1");
        Vm twin = member(OLD, VmStatus.POWERED_ON, "10.0.0.3", "db-1");
        Vm stray = member(NEW, VmStatus.POWERED_ON, "10.0.0.4", "db-9");
        GroupPlan converge = GroupPlan.decide(byId, NEW, List.of(one, twin, stray));
        assertEquals(Set.of(twin.id(), stray.id()), ids(converge.removals()));
        assertEquals(List.of("db-2", "db-3"), converge.additions().stream().map(GroupPlan.Addition::logicalId).toList());

        Vm two = member(NEW, VmStatus.POWERED_ON, "10.0.0.5", "db-2");
        Vm three = member(NEW, VmStatus.POWERED_ON, "10.0.0.6", "db-3");
        GroupPlan roll = GroupPlan.decide(byId, NEW, List.of(one, two, three));
        assertEquals(List.of(one.id()), roll.removals().stream().map(GroupPlan.Removal::vm).toList(), "names are unique: recreate in place");
        assertEquals("rolling 3 of 3: recreating db-1", roll.summary());

        Vm creating = member(NEW, VmStatus.CREATING, "", "db-1");
        Vm oldTwo = member(OLD, VmStatus.POWERED_ON, "10.0.0.7", "db-2");
        assertTrue(GroupPlan.decide(byId, NEW, List.of(creating, oldTwo, three)).isSteady(), "one at a time: wait for db-1");
    }

    private static Set<UUID> ids(List<GroupPlan.Removal> removals) {
        return Set.copyOf(new ArrayList<>(removals.stream().map(GroupPlan.Removal::vm).toList()));
    }
}
