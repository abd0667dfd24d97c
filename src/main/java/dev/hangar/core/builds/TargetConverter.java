package dev.hangar.core.builds;

import java.nio.file.Path;
import java.util.Set;

/** Turns a base image (a raw disk) into a target image: the format a hypervisor or cloud takes. */
public interface TargetConverter {
    /** The targets it makes: kvm, openstack-kvm, vsphere, vmware, ova, raw, hyperv, mock. */
    Set<String> targets();

    /**
     * Blocking. Writes the target image for {@code base} into {@code outputDir} (empty, the caller's),
     * named after {@code name}, and returns the file. Throws HangarException (target-failed,
     * build-cancelled); nothing half-written is left under the returned name.
     */
    Path convert(Path base, String target, String name, Path outputDir, BuildProgress progress);
}
