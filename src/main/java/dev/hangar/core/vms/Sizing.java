package dev.hangar.core.vms;

import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.images.MachineProfile;

/**
 * One place decides a VM's size: the request's cpus and memory, else the image's own (.vmx, OVF,
 * manifest), else the service default. Values from an image get the same checks as a request's, so an
 * image that asks for 0 cpus or a petabyte of memory fails with the documented code.
 */
final class Sizing {
    private Sizing() {}

    static Vm sized(Vm vm, MachineProfile image, VmSettings settings) {
        int cpus;
        if (vm.requestedCpus() != null) {
            cpus = vm.requestedCpus();
        } else if (image.cpus() != null) {
            cpus = image.cpus();
            if (cpus < 1 || cpus > VmRequest.MAX_CPUS) {
                throw HangarException.invalid("invalid-cpus", "the image asks for " + cpus + " cpus; Hangar runs 1 to "
                        + VmRequest.MAX_CPUS + " (send cpus to override it)");
            }
        } else {
            cpus = settings.defaultCpus();
        }
        long memory;
        if (vm.requestedMemoryMib() != null) {
            memory = vm.requestedMemoryMib();
        } else if (image.memoryMib() != null) {
            memory = image.memoryMib();
            if (memory < MemorySize.MIN_MIB || memory > MemorySize.MAX_MIB) {
                throw HangarException.invalid("invalid-memory", "the image asks for " + memory + " MiB of memory; Hangar runs "
                        + MemorySize.MIN_MIB + " to " + MemorySize.MAX_MIB + " MiB (send memory to override it)");
            }
        } else {
            memory = settings.defaultMemoryMib();
        }
        return vm.toBuilder().cpus(cpus).memoryMib(memory)
                .guestOs(image.guestOs() != null ? image.guestOs() : vm.guestOs()).build();
    }
}
