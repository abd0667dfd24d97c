package dev.hangar.builds.providers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.builds.TestImages.RecordingProgress;
import dev.hangar.builds.TestImages;
import dev.hangar.core.HangarException;
import dev.hangar.core.builds.ProviderPublisher.Provider;
import dev.hangar.core.builds.ProviderPublisher.Published;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryProviderTest {
    @TempDir Path tmp;
    Path image;
    Path destination;
    final DirectoryProvider directory = new DirectoryProvider();

    @BeforeEach
    void setUp() throws Exception {
        image = TestImages.randomFile(Files.createDirectories(tmp.resolve("targets")).resolve("app.ova"), 2, 11);
        destination = Files.createDirectories(tmp.resolve("dest"));
    }

    static Provider at(String path) {
        return new Provider("directory", path == null ? Map.of() : Map.of("path", path), Map.of());
    }

    @Test
    void copiesIntoADirectoryUnderTheImagesName() throws Exception {
        Published p = directory.publish(image, "ova", "id", at(destination.toString()), new RecordingProgress());
        Path copy = destination.resolve("app.ova");
        assertEquals(copy.toString(), p.identifier());
        assertEquals(Map.of("path", copy.toString(), "checksum", TestImages.sha256(image), "checksum_type", "sha256"), p.properties());
        assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(copy));
        assertEquals(List.of("app.ova"), HangarProviderTest.names(destination), "no partial file is left");
    }

    @Test
    void copiesToANewFileName() throws Exception {
        Path target = destination.resolve("renamed.ova");
        Published p = directory.publish(image, "ova", "id", at(target.toString()), new RecordingProgress());
        assertEquals(target.toString(), p.identifier());
        assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(target));
    }

    @Test
    void neverOverwrites() throws Exception {
        Files.writeString(destination.resolve("app.ova"), "mine");
        HangarException e = assertThrows(HangarException.class,
                () -> directory.publish(image, "ova", "id", at(destination.toString()), new RecordingProgress()));
        assertEquals("push-failed", e.code());
        assertEquals("mine", Files.readString(destination.resolve("app.ova")));
        assertEquals(List.of("app.ova"), HangarProviderTest.names(destination));
    }

    @Test
    void badPathsAreRefusedNamingTheSetting() {
        for (String bad : new String[] {null, "", "relative/dir", destination + "/../dest", destination + "/..", "/no/such/dir/file.ova"}) {
            HangarException e = assertThrows(HangarException.class, () -> directory.check(at(bad)), String.valueOf(bad));
            assertEquals("invalid-provider", e.code());
            assertEquals(HangarException.Kind.INVALID, e.kind());
            assertTrue(e.getMessage().startsWith("provider setting path:"), e.getMessage());
        }
        DirectoryProvider fenced = new DirectoryProvider(tmp.resolve("allowed"));
        assertEquals("invalid-provider", assertThrows(HangarException.class, () -> fenced.check(at(destination.toString()))).code());
        assertFalse(Files.exists(destination.resolve("app.ova")));
    }

    @Test
    void aCancelledCopyLeavesNothing() throws Exception {
        RecordingProgress progress = new RecordingProgress();
        progress.cancel();
        HangarException e = assertThrows(HangarException.class,
                () -> directory.publish(image, "ova", "id", at(destination.toString()), progress));
        assertEquals("build-cancelled", e.code());
        assertEquals(List.of(), HangarProviderTest.names(destination));
    }

    @Test
    void unpublishRemovesTheCopy() throws Exception {
        Published p = directory.publish(image, "ova", "id", at(destination.toString()), new RecordingProgress());
        directory.unpublish(p, at(destination.toString()));
        assertEquals(List.of(), HangarProviderTest.names(destination));
        assertTrue(Files.exists(image));
    }

    @Test
    void publishersDispatchByTypeAndRefuseUnknownTypes() {
        ProviderPublishers all = new ProviderPublishers(List.of(directory, new OciProvider(java.net.http.HttpClient.newHttpClient(), new dev.hangar.core.InMemoryUrlPolicy())));
        assertEquals(java.util.Set.of("directory", "oci"), all.providers());
        Published p = all.publish(image, "ova", "id", at(destination.toString()), new RecordingProgress());
        assertTrue(Files.exists(Path.of(p.identifier())));
        HangarException e = assertThrows(HangarException.class, () -> all.check(new Provider("s3", Map.of(), Map.of())));
        assertEquals("invalid-provider", e.code());
        assertTrue(e.getMessage().startsWith("provider setting type:"), e.getMessage());
    }
}
