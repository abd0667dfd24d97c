package dev.hangar.core.images;

import dev.hangar.core.HangarException;

/** A sparse, empty disk of a size in GiB, attached after the image's own disks. */
public record BlankDisk(long sizeGib) {
    /** 64 TiB: more than any physical disk a staging host imitates, and far below qcow2's limits. */
    public static final long MAX_GIB = 64 * 1024;

    public BlankDisk {
        if (sizeGib < 1 || sizeGib > MAX_GIB) {
            throw HangarException.invalid("invalid-disks", "disk sizes must be whole GiB from 1 to " + MAX_GIB + ", not " + sizeGib);
        }
    }
}
