package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.groups.Group;
import dev.hangar.core.groups.GroupEvent;
import dev.hangar.core.groups.Template;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.VmBlueprint;
import dev.hangar.core.vms.VmStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Templates and groups come back from the database as they went in; a group's events are bounded. */
class GroupRepositoryTest {
    @TempDir
    Path dir;

    @Test
    void templatesAndGroupsRoundTripAndEventsKeepTheLatestHundred() throws Exception {
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            TemplateRepository templates = new TemplateRepository(db);
            GroupRepository groups = new GroupRepository(db);
            VmBlueprint settings = new VmBlueprint(new BootSource.Library("alpine-3.4.4"), 2, 512L, List.of(new BlankDisk(4)),
                    List.of("nat", "hostonly"), Map.of("env", "dev"), "#!/bin/sh\necho hi\n", true);
            Template t = new Template("small", settings, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(2000));
            templates.insert(t);
            assertEquals(t, templates.find("small").orElseThrow());
            assertEquals(settings.hash(), templates.find("small").orElseThrow().blueprint().hash());
            assertEquals("template-exists", assertThrows(HangarException.class, () -> templates.insert(t)).code());

            Group byTemplate = new Group("web", "small", null, 3, List.of(), Set.of(VmStatus.ERROR), false,
                    Instant.ofEpochMilli(3000), Instant.ofEpochMilli(4000));
            Group own = new Group("db", null, settings, null, List.of("db-1", "db-2"), null, true,
                    Instant.ofEpochMilli(5000), Instant.ofEpochMilli(6000));
            groups.insert(byTemplate);
            groups.insert(own);
            assertEquals(byTemplate, groups.find("web").orElseThrow());
            assertEquals(own, groups.find("db").orElseThrow());
            assertEquals(List.of("web"), groups.usingTemplate("small"));
            assertEquals("group-exists", assertThrows(HangarException.class, () -> groups.insert(own)).code());
            assertThrows(RuntimeException.class, () -> groups.insert(new Group("x", "missing", null, 1, null, null, true,
                    Instant.EPOCH, Instant.EPOCH)), "a group's template must exist");

            for (int i = 0; i < 130; i++) groups.addEvent(new GroupEvent("web", Instant.ofEpochMilli(i), "event " + i));
            List<GroupEvent> latest = groups.events("web", 1000);
            assertEquals(100, latest.size());
            assertEquals("event 129", latest.getFirst().message());
            groups.delete("web");
            assertTrue(groups.events("web", 10).isEmpty());
            assertTrue(groups.find("web").isEmpty());
            assertEquals(List.of("db"), groups.all().stream().map(Group::name).toList());
        }
    }
}
