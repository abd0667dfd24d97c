package dev.hangar.core.vms;

import dev.hangar.core.images.ImageRef;

/**
 * What a VM boots from: a clone of a gold image, an installer fetched from an install tree (booted
 * once with the tree's kernel and the given command line; when the installer powers the machine off,
 * the VM boots from its disk), its own disks (a blank machine boots its first disk, else the network), or
 * a VM folder of the operator's library, cloned like a gold image.
 */
public sealed interface BootSource {
    record Image(ImageRef image) implements BootSource {}

    record NetworkInstall(String location, String cmdline) implements BootSource {}

    record Disk() implements BootSource {}

    /** A VM folder of the operator's library ({@code --vm-lib}), imported as a gold image when first used. */
    record Library(String name) implements BootSource {}
}
