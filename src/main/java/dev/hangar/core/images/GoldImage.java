package dev.hangar.core.images;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A verified, converted image ready to clone. disks are qcow2 files inside dir (in boot order); kernel and
 * initrd are null unless the image boots a kernel directly. The files must never change: VMs are linked
 * clones of them.
 */
public record GoldImage(String key, Path dir, List<Path> disks, Path kernel, Path initrd, MachineProfile profile) {
    public GoldImage {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(profile, "profile");
        disks = List.copyOf(disks);
        if (disks.isEmpty() && kernel == null) throw new IllegalArgumentException("a gold image needs a disk or a kernel");
        for (Path p : disks) {
            if (!p.startsWith(dir)) throw new IllegalArgumentException("disk " + p + " is not inside " + dir);
        }
        if (initrd != null && kernel == null) throw new IllegalArgumentException("an initrd needs a kernel");
    }
}
