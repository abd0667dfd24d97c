package dev.hangar.core.images;

/**
 * The virtual hardware an image asks for (from a .vmx, an OVF or a Hangar manifest). Any field may be
 * null: the image has no opinion and the service default applies. Request values override these.
 */
public record MachineProfile(
        Integer cpus,
        Integer memoryMib,
        String guestOs,
        NicModel nic,
        DiskBus diskBus,
        Firmware firmware,
        String cmdline) {

    public enum NicModel { E1000, E1000E, VMXNET3, VIRTIO, PCNET, RTL8139 }

    /**
     * The controller the image's disks hang on; each maps to a QEMU device the guest has drivers for.
     * SAS1068 is VMware's lsisas1068, which QEMU emulates as the same chip (mptsas1068); MEGASAS is
     * only for manifests that ask for it. VIRTIO_SCSI puts disks on virtio-scsi, where a guest sees
     * sda, sdb, ... as on a physical machine (the hosts face's default).
     */
    public enum DiskBus { IDE, SATA, LSI, SAS1068, MEGASAS, PVSCSI, VIRTIO, VIRTIO_SCSI, NVME }

    public enum Firmware { BIOS, EFI }

    public static final MachineProfile EMPTY = new MachineProfile(null, null, null, null, null, null, null);
}
