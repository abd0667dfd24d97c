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
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HangarProviderTest {
    static final Provider HANGAR = new Provider("hangar", Map.of(), Map.of());
    static final String BASE = "http://127.0.0.1:12345/imagefactory/published";

    @TempDir Path tmp;
    Path published;
    Path image;
    HangarProvider hangar;

    @BeforeEach
    void setUp() throws Exception {
        published = tmp.resolve("published");
        image = TestImages.randomFile(Files.createDirectories(tmp.resolve("targets")).resolve("web.qcow2"), 3, 9);
        hangar = new HangarProvider(published, URI.create(BASE + "/"));
    }

    @Test
    void publishesTheFileWithAUrlAndItsSha256ReadyForVms() throws Exception {
        RecordingProgress progress = new RecordingProgress();
        Published p = hangar.publish(image, "kvm", "pi-1", HANGAR, progress);

        String url = BASE + "/pi-1/web.qcow2";
        assertEquals(url, p.identifier());
        assertEquals(Map.of("url", url, "checksum", TestImages.sha256(image), "checksum_type", "sha256"), p.properties());
        Path file = published.toRealPath().resolve("pi-1/web.qcow2");
        assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(file));
        assertEquals(Optional.of(file), hangar.find("pi-1", "web.qcow2"));
        assertEquals(List.of("web.qcow2"), names(file.getParent()), "no partial file is left");
        assertEquals(100, progress.percents.get(progress.percents.size() - 1));

        // The published file stays when the target image is removed (a link or a copy, never the same name).
        Files.delete(image);
        assertTrue(Files.isRegularFile(file));
    }

    @Test
    void findRefusesAnythingButAPlainPublishedFile() throws Exception {
        hangar.publish(image, "kvm", "pi-1", HANGAR, new RecordingProgress());
        Files.writeString(published.resolve("secret"), "x");
        Files.writeString(published.resolve("pi-1/.web.qcow2.partial"), "half");
        Files.createSymbolicLink(published.resolve("pi-1/link"), tmp.resolve("targets"));
        for (String[] bad : new String[][] {{"..", "secret"}, {"pi-1", ".."}, {"pi-1/..", "secret"}, {"pi-1", ".web.qcow2.partial"},
                {"pi-1", "link"}, {"pi-1", "nope"}, {"", "web.qcow2"}, {null, "web.qcow2"}, {"pi-1", "../../targets/web.qcow2"}}) {
            assertEquals(Optional.empty(), hangar.find(bad[0], bad[1]), String.join(" ", java.util.Arrays.asList(bad)));
        }
    }

    @Test
    void anUnsafeIdOrATakenNameIsRefused() throws Exception {
        assertEquals("push-failed", assertThrows(HangarException.class,
                () -> hangar.publish(image, "kvm", "../x", HANGAR, new RecordingProgress())).code());
        hangar.publish(image, "kvm", "pi-1", HANGAR, new RecordingProgress());
        HangarException again = assertThrows(HangarException.class, () -> hangar.publish(image, "kvm", "pi-1", HANGAR, new RecordingProgress()));
        assertEquals("push-failed", again.code());
        assertEquals("invalid-provider", assertThrows(HangarException.class, () -> hangar.check(new Provider("oci", Map.of(), Map.of()))).code());
    }

    @Test
    void aCancelledPublishLeavesNothing() throws Exception {
        RecordingProgress progress = new RecordingProgress();
        progress.cancel();
        assertEquals("build-cancelled", assertThrows(HangarException.class, () -> hangar.publish(image, "kvm", "pi-2", HANGAR, progress)).code());
        assertEquals(Optional.empty(), hangar.find("pi-2", "web.qcow2"));
        assertEquals(List.of(), names(published.resolve("pi-2")));
    }

    @Test
    void unpublishRemovesTheFileAndItsDirectory() throws Exception {
        Published p = hangar.publish(image, "kvm", "pi-1", HANGAR, new RecordingProgress());
        hangar.unpublish(p, HANGAR);
        assertFalse(Files.exists(published.resolve("pi-1")));
        hangar.unpublish(p, HANGAR); // gone already: fine
        assertEquals("push-failed", assertThrows(HangarException.class,
                () -> hangar.unpublish(new Published("http://elsewhere/x/y", Map.of()), HANGAR)).code());
    }

    @Test
    void removeLeftoversDeletesPartialFilesOnly() throws Exception {
        hangar.publish(image, "kvm", "pi-1", HANGAR, new RecordingProgress());
        Files.writeString(published.resolve("pi-1/.other.raw.partial"), "half");
        hangar.removeLeftovers();
        assertEquals(List.of("web.qcow2"), names(published.resolve("pi-1")));
    }

    @Test
    void abandonRemovesWhateverAnUnfinishedPushLeftUnderItsIdAndNothingElse() throws Exception {
        hangar.publish(image, "kvm", "pi-1", HANGAR, new RecordingProgress());
        hangar.publish(image, "kvm", "pi-3", HANGAR, new RecordingProgress());
        Files.writeString(published.resolve("pi-1/.web.qcow2.partial"), "half");
        hangar.abandon("pi-1", HANGAR);
        assertFalse(Files.exists(published.resolve("pi-1")), "a push the restart failed publishes nothing");
        assertEquals(List.of("web.qcow2"), names(published.resolve("pi-3")));
        hangar.abandon("pi-2", HANGAR); // nothing there: fine
        hangar.abandon("..", HANGAR); // not an id: nothing is touched
        assertEquals(List.of("pi-3"), names(published));
    }

    static List<String> names(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
