package dev.hangar.images;

import dev.hangar.core.images.CloudInitSeed;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.VmDisks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A VM's disk files: qcow2 overlays backed by a gold image's disks (written here, without qemu-img),
 * sparse blank disks, and the cloud-init seed. Each is made once; a resumed creation keeps what is there.
 */
public final class VmDiskFiles implements VmDisks {
    @Override
    public List<Path> clone(GoldImage gold, Path vmDir) {
        List<Path> clones = new ArrayList<>();
        for (int i = 0; i < gold.disks().size(); i++) {
            Path base = gold.disks().get(i);
            Path clone = vmDir.resolve(VmDisks.cloneName(i));
            if (!Files.exists(clone)) UnpackDir.local(() -> {
                Qcow2Overlay.create(base, clone);
                return null;
            });
            clones.add(clone);
        }
        return clones;
    }

    @Override
    public void createBlankDisk(Path file, long sizeBytes) {
        if (!Files.exists(file)) UnpackDir.local(() -> {
            Qcow2Overlay.createBlank(file, sizeBytes);
            return null;
        });
    }

    @Override
    public void createSeedDisk(Path file, CloudInitSeed seed) {
        SeedDisk.write(file, seed);
    }
}
