package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.images.WarmTemplates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm settings and templates as files beside their gold: whole or absent, never changed once in place. */
class WarmTemplateFilesTest {
    private static final String GOLD = "sha256-0123";
    private static final String KEY = "dc25da01c294e066e7d79f16a1c69979";

    @TempDir
    Path images;

    @Test
    void settingsAreOffUntilSavedAndSurviveAReread() throws Exception {
        Files.createDirectories(images.resolve(GOLD));
        WarmTemplateFiles files = new WarmTemplateFiles(images);
        assertEquals(WarmTemplates.Settings.OFF, files.settings(GOLD));
        files.saveSettings(GOLD, new WarmTemplates.Settings(true, 2));
        assertEquals(new WarmTemplates.Settings(true, 2), new WarmTemplateFiles(images).settings(GOLD));
    }

    @Test
    void aTemplateIsFoundOnlyOnceFinishedAndItsFilesAreThenReadOnly() throws Exception {
        Files.createDirectories(images.resolve(GOLD));
        WarmTemplateFiles files = new WarmTemplateFiles(images);
        Path build = files.startBuild(GOLD, KEY);
        Files.writeString(build.resolve("disk0.qcow2"), "disk");
        Files.writeString(build.resolve("ram"), "ram");
        Files.writeString(build.resolve("state"), "state");
        assertTrue(files.find(GOLD, KEY).isEmpty(), "a template being built is not found");
        assertEquals("building", files.list(GOLD).getFirst().state());

        WarmTemplates.Template t = files.finish(GOLD, build, new WarmTemplates.Template(KEY, build, List.of(build.resolve("disk0.qcow2")),
                build.resolve("ram"), build.resolve("state"), List.of("a2:68:67:00:00:01"), "pc-q35-7.2", "1 cpu", Instant.EPOCH));
        assertFalse(Files.exists(build));
        assertEquals(images.resolve(GOLD).resolve("templates").resolve(KEY).resolve("disk0.qcow2"), t.disks().getFirst());
        assertEquals(List.of("a2:68:67:00:00:01"), files.find(GOLD, KEY).orElseThrow().macs());
        assertEquals("pc-q35-7.2", files.find(GOLD, KEY).orElseThrow().machineType());
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(t.disks().getFirst())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(t.ram())));
        assertEquals("ready", files.list(GOLD).getFirst().state());
    }

    @Test
    void aFailedBuildLeavesItsReasonAndNoFiles() throws Exception {
        Files.createDirectories(images.resolve(GOLD));
        WarmTemplateFiles files = new WarmTemplateFiles(images);
        Path build = files.startBuild(GOLD, KEY);
        files.failed(GOLD, KEY, "1 cpu", "the image has no executable /usr/lib/hangar/reidentify");
        assertFalse(Files.exists(build));
        WarmTemplates.Summary s = files.list(GOLD).getFirst();
        assertEquals("failed", s.state());
        assertEquals("the image has no executable /usr/lib/hangar/reidentify", s.reason());
        assertTrue(files.find(GOLD, KEY).isEmpty());
    }

    @Test
    void namesThatLeaveTheImagesDirectoryAreRefused() {
        WarmTemplateFiles files = new WarmTemplateFiles(images);
        assertThrows(IllegalArgumentException.class, () -> files.settings("../etc"));
        assertThrows(IllegalArgumentException.class, () -> files.find(GOLD, "../../x"));
    }
}
