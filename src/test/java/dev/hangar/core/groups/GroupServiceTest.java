package dev.hangar.core.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.Installer;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmBlueprint;
import dev.hangar.core.vms.VmService;
import dev.hangar.core.vms.VmServiceTest;
import dev.hangar.core.vms.VmSettings;
import dev.hangar.core.vms.VmStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Groups over the real VM service with in-memory adapters (the end-to-end suite does the same with
 * QEMU): kept at a size, healed, scaled, rolled, deleted; templates a group uses cannot go.
 */
class GroupServiceTest {
    @TempDir
    Path data;
    final VmServiceTest.Store store = new VmServiceTest.Store();
    final VmServiceTest.Driver driver = new VmServiceTest.Driver();
    final VmServiceTest.Fabric fabric = new VmServiceTest.Fabric();
    final VmServiceTest.Images images = new VmServiceTest.Images();
    final List<Vm> created = new CopyOnWriteArrayList<>();
    final Templates templates = new Templates();
    final Groups groupStore = new Groups();
    final dev.hangar.core.InMemoryUrlPolicy urls = new dev.hangar.core.InMemoryUrlPolicy();
    final Operations operations = new Operations(new VmServiceTest.InMemoryOperationStore(), Clock.systemUTC());
    VmService vms;
    GroupService groups;

    @BeforeEach
    void start() throws Exception {
        fabric.leases = true;
        NetworkService networks = new NetworkService(new VmServiceTest.Networks(), fabric, new dev.hangar.core.vms.VmsOnNetwork(store), Clock.systemUTC());
        vms = new VmService(new VmService.Ports(store, images, images, location -> new Installer(data.resolve("k"), null),
                driver, fabric, new VmServiceTest.Callbacks(), urls), networks, operations,
                new VmSettings(data.resolve("vms"), 2, 1024, Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(50)),
                Clock.systemUTC());
        vms.start();
        vms.watch(vm -> {
            if (vm.status() == VmStatus.CREATING && created.stream().noneMatch(c -> c.id().equals(vm.id()))) created.add(vm);
        });
        groups = new GroupService(templates, groupStore, vms, operations, Clock.systemUTC(), Duration.ofSeconds(30));
        groups.start();
    }

    @AfterEach
    void stop() {
        groups.close();
        vms.close();
    }

    @Test
    void aGroupComesUpReplacesAMemberThatDiesAndScalesDownAndUp() throws Exception {
        groups.createTemplate("small", GroupPlanTest.SETTINGS);
        groups.create(draft("web", "small", 3));
        List<Vm> first = await("web", v -> v.members().size() == 3 && v.plan().isSteady() && ready(v) == 3).members();
        assertTrue(first.stream().allMatch(vm -> vm.tags().get(GroupPlan.GROUP_TAG).equals("web")
                && vm.origin() == Vm.Origin.GROUPS && vm.tags().containsKey(GroupPlan.HASH_TAG)), "members carry the group's tags");

        Vm victim = first.getFirst();
        driver.die(victim.id());
        GroupView healed = await("web", v -> ready(v) == 3 && v.members().stream().noneMatch(vm -> vm.id().equals(victim.id())));
        assertEquals(3, healed.members().size());
        assertTrue(vms.list().stream().noneMatch(vm -> vm.id().equals(victim.id())), "the dead member is destroyed, not kept");
        assertTrue(healed.events().stream().anyMatch(e -> e.message().contains("removed member " + victim.id())), healed.events().toString());

        groups.scale("web", 1);
        await("web", v -> v.members().size() == 1);
        groups.scale("web", 2);
        await("web", v -> ready(v) == 2);
        assertEquals(2, vms.list(Map.of(GroupPlan.GROUP_TAG, "web")).size());
        var pass = operations.recent().stream().filter(o -> o.kind().equals("group.pass") && o.target().equals("web")).findFirst().orElseThrow();
        assertEquals(dev.hangar.core.operations.Operation.Status.SUCCEEDED, operations.await(pass.id(), Duration.ofSeconds(10)).status(),
                "a pass that made or removed members is an operation: " + pass);

        HangarException inUse = assertThrows(HangarException.class, () -> groups.deleteTemplate("small"));
        assertEquals("template-in-use", inUse.code());
        groups.delete("web");
        awaitTrue(() -> vms.list(Map.of(GroupPlan.GROUP_TAG, "web")).isEmpty(), "the group's members are destroyed");
        groups.deleteTemplate("small");
        assertEquals("template-not-found", assertThrows(HangarException.class, () -> groups.template("small")).code());
    }

    @Test
    void changingTheTemplateRollsTheMembersOneAtATime() throws Exception {
        groups.createTemplate("small", GroupPlanTest.SETTINGS);
        groups.create(draft("web", "small", 3));
        List<Vm> before = await("web", v -> ready(v) == 3 && v.plan().isSteady()).members();
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        vms.watch(vm -> sizes.add((int) vms.list(Map.of(GroupPlan.GROUP_TAG, "web")).stream()
                .filter(m -> m.status() != VmStatus.DELETING).count()));

        VmBlueprint bigger = new VmBlueprint(GroupPlanTest.SETTINGS.boot(), 2, 512L, List.of(new BlankDisk(1)), null, Map.of("tier", "web"), null, false);
        groups.updateTemplate("small", bigger);
        GroupView rolled = await("web", v -> v.outdated() == 0 && ready(v) == 3 && v.plan().isSteady());
        assertTrue(rolled.members().stream().noneMatch(vm -> before.stream().anyMatch(b -> b.id().equals(vm.id()))), "every member replaced");
        assertTrue(rolled.members().stream().allMatch(vm -> vm.cpus() == 2 && vm.tags().get("tier").equals("web")));
        assertTrue(sizes.stream().allMatch(n -> n >= 3 && n <= 4), "never fewer than 3 nor more than 4 members while rolling: " + sizes);
    }

    @Test
    void aStoppedUpdateLeavesOutdatedMembersAndLogicalIdsNameTheirMembers() throws Exception {
        groups.create(new Group("db", null, GroupPlanTest.SETTINGS, null, List.of("db-1", "db-2"), null, false, null, null));
        GroupView up = await("db", v -> ready(v) == 2);
        assertEquals(List.of("db-1", "db-2"), up.members().stream().map(Vm::name).sorted().toList());
        assertEquals(vms.getByName("db-1").tags().get(GroupPlan.LOGICAL_ID_TAG), "db-1");

        Group g = up.group();
        VmBlueprint changed = new VmBlueprint(GroupPlanTest.SETTINGS.boot(), 2, null, null, null, null, null, false);
        groups.update(new Group("db", null, changed, null, g.logicalIds(), g.unhealthy(), false, null, null));
        Thread.sleep(300);
        GroupView stopped = groups.get("db");
        assertEquals(2, stopped.outdated(), "rolling is off: nothing is replaced");
        assertEquals("update stopped: 2 of 2 outdated", stopped.plan().summary());
    }

    @Test
    void membersThatFailToComeUpAreReplacedWithBackoffNotInATightLoop() throws Exception {
        images.failure = new HangarException(HangarException.Kind.INVALID, "image-download-failed", "HTTP 404");
        groups.create(new Group("web", null, GroupPlanTest.SETTINGS, 2, null, null, true, null, null));
        Thread.sleep(1500);
        assertTrue(created.size() >= 2 && created.size() <= 4, "2 made, failed, replaced once, then a 5 s backoff: " + created.size());
        GroupView waiting = groups.get("web");
        assertTrue(waiting.events().stream().anyMatch(e -> e.message().startsWith("waiting until")), waiting.events().toString());

        images.failure = null; // the image is fixed: after the backoff the group comes up
        GroupView up = await("web", v -> ready(v) == 2, Duration.ofSeconds(15));
        assertEquals(2, up.members().size());
    }

    @Test
    void badGroupsAreRefusedWithTheirOwnCodes() {
        assertEquals("template-not-found", assertThrows(HangarException.class, () -> groups.create(draft("web", "nope", 1))).code());
        assertEquals("invalid-size", assertThrows(HangarException.class, () -> groups.create(
                new Group("web", null, GroupPlanTest.SETTINGS, -1, null, null, true, null, null))).code());
        assertEquals("invalid-group-name", assertThrows(HangarException.class, () -> groups.create(
                new Group("../x", null, GroupPlanTest.SETTINGS, 1, null, null, true, null, null))).code());
        assertEquals("invalid-name", assertThrows(HangarException.class, () -> groups.create(
                new Group("db", null, GroupPlanTest.SETTINGS, null, List.of("not a host"), null, true, null, null))).code());
        assertEquals("invalid-logical-ids", assertThrows(HangarException.class, () -> groups.create(
                new Group("db", null, GroupPlanTest.SETTINGS, null, List.of("a", "A"), null, true, null, null))).code());
        assertEquals("group-not-found", assertThrows(HangarException.class, () -> groups.scale("none", 2)).code());
        assertTrue(groups.list().isEmpty());
    }

    @Test
    void templatesAndGroupSettingsWithAnImageHangarMustNotFetchAreRefused() {
        urls.refuseFetch("http://images.test/a.tar.gz", "link-local");
        assertEquals("image-url-forbidden", assertThrows(HangarException.class, () -> groups.createTemplate("small", GroupPlanTest.SETTINGS)).code());
        assertTrue(groups.templates().isEmpty());
        assertEquals("image-url-forbidden", assertThrows(HangarException.class, () -> groups.create(
                new Group("db", null, GroupPlanTest.SETTINGS, 1, null, null, true, null, null))).code());
        assertTrue(groups.list().isEmpty());
    }

    private static Group draft(String name, String template, int size) {
        return new Group(name, template, null, size, null, null, true, null, null);
    }

    private static long ready(GroupView v) {
        return v.members().stream().filter(GroupPlan::ready).count();
    }

    private GroupView await(String group, Predicate<GroupView> condition) throws InterruptedException {
        return await(group, condition, Duration.ofSeconds(10));
    }

    private GroupView await(String group, Predicate<GroupView> condition, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        GroupView v = groups.get(group);
        while (!condition.test(v)) {
            if (System.nanoTime() > until) throw new AssertionError("group " + group + " never got there: " + v.plan().summary() + " " + v.members());
            Thread.sleep(20);
            v = groups.get(group);
        }
        return v;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError(what);
            Thread.sleep(20);
        }
    }

    static final class Templates implements TemplateStore {
        final Map<String, Template> all = new ConcurrentHashMap<>();

        @Override
        public void insert(Template t) {
            if (all.putIfAbsent(t.name(), t) != null) throw new HangarException(HangarException.Kind.CONFLICT, "template-exists", t.name());
        }

        @Override
        public void update(Template t) { all.put(t.name(), t); }

        @Override
        public Optional<Template> find(String name) { return Optional.ofNullable(all.get(name)); }

        @Override
        public List<Template> all() { return all.values().stream().sorted(Comparator.comparing(Template::name)).toList(); }

        @Override
        public void delete(String name) { all.remove(name); }
    }

    static final class Groups implements GroupStore {
        final Map<String, Group> all = new ConcurrentHashMap<>();
        final List<GroupEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public void insert(Group g) {
            if (all.putIfAbsent(g.name(), g) != null) throw new HangarException(HangarException.Kind.CONFLICT, "group-exists", g.name());
        }

        @Override
        public void update(Group g) { all.put(g.name(), g); }

        @Override
        public Optional<Group> find(String name) { return Optional.ofNullable(all.get(name)); }

        @Override
        public List<Group> all() { return all.values().stream().sorted(Comparator.comparing(Group::name)).toList(); }

        @Override
        public List<String> usingTemplate(String template) {
            return all().stream().filter(g -> template.equals(g.template())).map(Group::name).toList();
        }

        @Override
        public void delete(String name) { all.remove(name); }

        @Override
        public void addEvent(GroupEvent event) { events.add(event); }

        @Override
        public List<GroupEvent> events(String group, int limit) {
            List<GroupEvent> mine = new ArrayList<>(events.stream().filter(e -> e.group().equals(group)).toList());
            java.util.Collections.reverse(mine);
            return mine.stream().limit(limit).toList();
        }
    }
}
