package dev.hangar.core.groups;

import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.RunningOperation;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmService;
import dev.hangar.core.vms.VmStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every group at its size. Level-triggered: each pass reads the group and its members and carries
 * out {@link GroupPlan#decide}; nothing is remembered between passes but a failure backoff. A pass runs
 * when a member's record changes or a group's settings do, and for every group on a slow timer; with
 * nothing changing it only wakes on that timer. One thread runs every pass, so a group's plan is never
 * carried out twice at once. VMs a group made whose group is gone are removed. A pass that makes or
 * removes members is an operation ({@code group.pass} on the group's name), failed when some of its
 * changes could not be made.
 */
final class GroupReconciler {
    private static final Logger log = LoggerFactory.getLogger(GroupReconciler.class);
    private static final String ALL = "";
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(5);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final GroupStore groups;
    private final VmService vms;
    private final GroupBlueprints blueprints;
    private final Operations operations;
    private final Clock clock;
    private final Duration resync;
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final Semaphore signal = new Semaphore(0);
    /** Groups whose members failed to come up: no new member before the instant. */
    private final Map<String, Backoff> backoffs = new HashMap<>();
    /** Groups with a wake-up already set for the end of their backoff. */
    private final Set<String> wakeScheduled = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private Thread thread;

    private record Backoff(Instant until, Duration next) {}

    GroupReconciler(GroupStore groups, VmService vms, GroupBlueprints blueprints, Operations operations, Clock clock, Duration resync) {
        this.groups = groups;
        this.vms = vms;
        this.blueprints = blueprints;
        this.operations = operations;
        this.clock = clock;
        this.resync = resync;
    }

    void start() {
        vms.watch(vm -> {
            String group = vm.tags().get(GroupPlan.GROUP_TAG);
            if (group != null && vm.origin() == Vm.Origin.GROUPS) wake(group);
        });
        thread = Thread.ofVirtual().name("group-reconciler").start(this::loop);
        wake(ALL);
    }

    void wake(String group) {
        dirty.add(group);
        signal.release();
    }

    private void loop() {
        while (running) {
            try {
                boolean woken = signal.tryAcquire(resync.toMillis(), TimeUnit.MILLISECONDS);
                signal.drainPermits();
                if (!running) return;
                if (!woken) dirty.add(ALL);
                List<String> names = List.copyOf(dirty);
                dirty.removeAll(names);
                if (names.contains(ALL)) {
                    for (Group g : groups.all()) pass(g.name());
                    removeOrphans();
                } else {
                    for (String name : names) pass(name);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("group reconciler: {}", e.toString(), e);
            }
        }
    }

    /** One pass over one group; a group that is gone has its members removed. */
    private void pass(String name) {
        Optional<Group> found = groups.find(name);
        if (found.isEmpty()) {
            for (Vm vm : members(name)) remove(name, vm.id(), "its group was deleted", false);
            return;
        }
        Group group = found.get();
        String hash = blueprints.of(group).hash();
        List<Vm> members = members(name);
        GroupPlan plan = GroupPlan.decide(group, hash, members);
        if (plan.isSteady()) return;
        log.info("group {}: {}", name, plan.summary());
        List<String> problems = new java.util.ArrayList<>();
        RunningOperation op = plan.removals().isEmpty() ? null : begin(name, plan);
        boolean failedMember = false;
        for (GroupPlan.Removal r : plan.removals()) {
            failedMember |= members.stream().anyMatch(vm -> vm.id().equals(r.vm()) && vm.status() == VmStatus.ERROR);
            remove(name, r.vm(), r.why(), true).ifPresent(problems::add);
        }
        if (failedMember) backOff(name);
        if (members.stream().anyMatch(vm -> vm.status() == VmStatus.POWERED_ON)) backoffs.remove(name);
        Backoff b = backoffs.get(name);
        if (!plan.additions().isEmpty() && b != null && clock.instant().isBefore(b.until())) {
            if (wakeScheduled.add(name)) {
                event(name, "waiting until " + b.until() + " before making members again: the last ones failed");
                Thread.ofVirtual().start(() -> {
                    sleep(Duration.between(clock.instant(), b.until()));
                    wakeScheduled.remove(name);
                    wake(name);
                });
            }
            end(op, problems);
            return;
        }
        if (op == null) op = begin(name, plan);
        for (GroupPlan.Addition a : plan.additions()) add(group, hash, a.logicalId()).ifPresent(problems::add);
        end(op, problems);
    }

    private RunningOperation begin(String group, GroupPlan plan) {
        RunningOperation op = operations.begin("group.pass", group);
        op.progress(0, plan.summary());
        return op;
    }

    /** Ends the pass's operation (if it had one): failed when some change could not be made. */
    private static void end(RunningOperation op, List<String> problems) {
        if (op == null) return;
        if (problems.isEmpty()) op.succeeded();
        else op.failed(new Problem("group-pass-incomplete", String.join("; ", problems)));
    }

    /** Makes one member; what went wrong, if it could not. */
    private Optional<String> add(Group group, String hash, String logicalId) {
        var blueprint = blueprints.of(group);
        Map<String, String> tags = new HashMap<>(blueprint.tags());
        tags.put(GroupPlan.GROUP_TAG, group.name());
        tags.put(GroupPlan.HASH_TAG, hash);
        if (logicalId != null) tags.put(GroupPlan.LOGICAL_ID_TAG, logicalId);
        VmRequest request = blueprint.request().name(logicalId).tags(tags).origin(Vm.Origin.GROUPS).build();
        if (blueprint.warm() != null && blueprint.boot() instanceof BootSource.Image i) vms.warmStarts().want(i.image(), blueprint.warm());
        try {
            Vm vm = vms.create(request);
            event(group.name(), "made member " + vm.id() + (logicalId == null ? "" : " for logical ID " + logicalId));
            return Optional.empty();
        } catch (HangarException e) {
            String problem = "cannot make a member: " + e.code() + ": " + e.getMessage();
            event(group.name(), problem);
            backOff(group.name());
            return Optional.of(problem);
        }
    }

    /** Removes one member; what went wrong, if it could not. */
    private Optional<String> remove(String group, java.util.UUID id, String why, boolean record) {
        try {
            vms.delete(id);
            if (record) event(group, "removed member " + id + ": " + why);
            else log.info("removed VM {} of group {}: {}", id, group, why);
        } catch (HangarException e) {
            if (!e.code().equals("vm-not-found")) {
                String problem = "cannot remove member " + id + ": " + e.getMessage();
                event(group, problem);
                return Optional.of(problem);
            }
        }
        return Optional.empty();
    }

    private void removeOrphans() {
        Set<String> known = new java.util.HashSet<>();
        for (Group g : groups.all()) known.add(g.name());
        for (Vm vm : vms.list()) {
            String group = vm.tags().get(GroupPlan.GROUP_TAG);
            if (vm.origin() == Vm.Origin.GROUPS && group != null && !known.contains(group) && vm.status() != VmStatus.DELETING) {
                remove(group, vm.id(), "its group was deleted", false);
            }
        }
    }

    /** The group's members: the VMs it made that are not being deleted. */
    List<Vm> members(String group) {
        return vms.list(Map.of(GroupPlan.GROUP_TAG, group)).stream()
                .filter(vm -> vm.origin() == Vm.Origin.GROUPS && vm.status() != VmStatus.DELETING).toList();
    }

    private void backOff(String group) {
        Backoff b = backoffs.get(group);
        Duration next = b == null ? FIRST_BACKOFF : b.next();
        backoffs.put(group, new Backoff(clock.instant().plus(next), next.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next.multipliedBy(2)));
    }

    private void event(String group, String message) {
        log.info("group {}: {}", group, message);
        groups.addEvent(new GroupEvent(group, clock.instant(), message));
    }

    private static void sleep(Duration d) {
        try {
            if (!d.isNegative()) Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void stop() {
        running = false;
        if (thread != null) thread.interrupt();
    }
}
