package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.images.CloudInitSeed;
import dev.hangar.process.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A seed disk is what cloud-init's NoCloud source looks for: ISO 9660, label cidata, the three files. */
class SeedDiskTest {
    @TempDir
    Path dir;

    @Test
    void theSeedIsAnIso9660ImageLabelledCidataWithTheClientsTextVerbatim() throws IOException {
        // Shell metacharacters and a command substitution: they must land in the file unchanged, never run.
        String userData = "#!/bin/sh\necho \"$(hostname)\" > /tmp/x; `rm -rf /` ; 'quoted' \u00e9\n";
        Path iso = dir.resolve("cidata.iso");
        SeedDisk.write(iso, new CloudInitSeed("3f1c1b8e-1111-4222-8333-444455556666", "web-1", userData, "version: 2\n"));

        byte[] bytes = Files.readAllBytes(iso);
        // The primary volume descriptor is sector 16 (2048-byte sectors): "CD001", the volume id at offset 40.
        assertEquals("CD001", new String(bytes, 16 * 2048 + 1, 5, StandardCharsets.US_ASCII));
        assertEquals("cidata", new String(bytes, 16 * 2048 + 40, 32, StandardCharsets.US_ASCII).trim());
        assertEquals(userData, extract(iso, "/user-data"));
        assertEquals("instance-id: 3f1c1b8e-1111-4222-8333-444455556666\nlocal-hostname: web-1\n", extract(iso, "/meta-data"));
        assertEquals("version: 2\n", extract(iso, "/network-config"));
        try (var left = Files.list(dir)) {
            assertEquals(List.of(iso), left.toList(), "nothing but the seed is left behind");
        }
    }

    @Test
    void withoutNetworkConfigTheSeedHasNoSuchFileAndARewriteReplacesTheOldSeed() throws IOException {
        Path iso = dir.resolve("cidata.iso");
        SeedDisk.write(iso, new CloudInitSeed("id-1", "a", "first", "version: 2\n"));
        SeedDisk.write(iso, new CloudInitSeed("id-1", "a", "second", null));
        assertEquals("second", extract(iso, "/user-data"));
        String listing = Command.check(List.of("isoinfo", "-J", "-f", "-i", iso.toString()), Duration.ofSeconds(30)).stdout();
        assertTrue(listing.contains("/meta-data"), listing);
        assertFalse(listing.contains("network-config"), listing);
    }

    private static String extract(Path iso, String name) throws IOException {
        return Command.check(List.of("isoinfo", "-J", "-i", iso.toString(), "-x", name), Duration.ofSeconds(30)).stdout();
    }
}
