package dev.hangar.core.images;

import java.nio.file.Path;
import java.util.List;

/** The disks a VM gets in its directory: linked clones of a gold image's disks, blank disks, its cloud-init seed. */
public interface VmDisks {
    /** The file name of a VM's clone of its gold's disk {@code i}. */
    static String cloneName(int i) {
        return "disk" + i + ".qcow2";
    }

    /** Linked clones of the gold's disks in vmDir, in order; clones already there are kept. */
    List<Path> clone(GoldImage gold, Path vmDir);

    /** A sparse, empty qcow2 disk of this size at file, unless it exists (a resumed creation). */
    void createBlankDisk(Path file, long sizeBytes);

    /**
     * A cloud-init NoCloud seed at file: a read-only raw image with the volume label {@code cidata}
     * holding user-data, meta-data and, when given, network-config. Rewritten each time (the VM's record
     * is the truth), atomically: a half-written seed is never attached.
     */
    void createSeedDisk(Path file, CloudInitSeed seed);

}
