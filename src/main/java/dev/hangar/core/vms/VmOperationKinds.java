package dev.hangar.core.vms;

/** The kinds of the operations VMs run, as /operations and the events name them. */
final class VmOperationKinds {
    static final String CREATE = "vm.create";
    static final String INSTALL = "vm.install";
    static final String DELETE = "vm.delete";
    static final String STOP = "vm.stop";
    static final String RESTART = "vm.restart";

    private VmOperationKinds() {}
}
