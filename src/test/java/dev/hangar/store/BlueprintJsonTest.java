package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.VmBlueprint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A template's settings survive their column: every field, the warm wish too; a wish changes no member's hash. */
class BlueprintJsonTest {
    @Test
    void settingsWithAndWithoutAWarmWishReadBackAsTheyWereWritten() {
        VmBlueprint cold = new VmBlueprint(new BootSource.Library("alpine"), 2, 512L, List.of(new BlankDisk(4)), List.of("nat"),
                Map.of("role", "web"), "#!/bin/sh\n", false);
        VmBlueprint warm = new VmBlueprint(cold.boot(), 2, 512L, cold.disks(), cold.networks(), cold.tags(), cold.userData(), false,
                new WarmTemplates.Settings(true, 3));
        assertEquals(cold, BlueprintJson.read(BlueprintJson.write(cold)));
        assertNull(BlueprintJson.read(BlueprintJson.write(cold)).warm());
        assertEquals(warm, BlueprintJson.read(BlueprintJson.write(warm)));
        assertEquals(cold.hash(), warm.hash(), "how members start is not what they are: no roll");
    }
}
