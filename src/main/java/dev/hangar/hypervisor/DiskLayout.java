package dev.hangar.hypervisor;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.vms.MachineSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Where each of a machine's disks sits: which controller, which slot, whether it is a CD-ROM, its
 * place in the boot order and (on LSI Logic SAS) its SAS address. Both drivers render this one layout,
 * the QEMU driver as a command line and the libvirt driver as domain XML, so a VM sees the same
 * hardware under either.
 *
 * <p>The cloud-init seed is a CD-ROM, as clouds and libvirt attach it: on the IDE or SATA controller
 * the machine has, as {@code scsi-cd} on a SCSI controller, and, for guests that boot from virtio, a
 * read-only virtio disk; an NVMe machine's seed sits on q35's own SATA controller (NVMe has no CD).
 * The seed never takes a place in the boot order.
 *
 * <p>The limits are QEMU's: IDE has 4 slots (2 channels, master and slave), q35's AHCI 6 ports, the
 * LSI 53C895A 7 targets, the LSI SAS1068 8, PVSCSI and MegaRAID 64. A SCSI kind whose disks do not fit
 * one controller gets more of them (VMware allows 4); what fits nowhere is refused as
 * {@code image-hardware-unsupported}, never started with a disk the guest cannot see.
 */
public final class DiskLayout {
    /** The SCSI controllers VMware gives a machine at most, and so the most of one kind here. */
    static final int MAX_SCSI_CONTROLLERS = 4;
    static final int IDE_SLOTS = 4;
    public static final int SATA_PORTS = 6;

    /** One disk placed: its controller (index among those of its kind) and slot on it. */
    public record Placed(MachineSpec.Disk disk, DiskBus bus, int controller, int slot, boolean cdrom, Integer bootIndex, String wwn) {
        /** IDE: the channel (0 or 1) and the unit on it (master 0, slave 1). */
        public int ideChannel() { return slot / 2; }

        public int ideUnit() { return slot % 2; }

        public String format() { return disk.seed() ? "raw" : "qcow2"; }
    }

    private final List<Placed> placed;
    private final Map<DiskBus, Integer> controllers;
    private final boolean needsIde;

    private DiskLayout(List<Placed> placed, EnumMap<DiskBus, Integer> controllers, boolean needsIde) {
        this.placed = List.copyOf(placed);
        this.controllers = java.util.Collections.unmodifiableMap(new EnumMap<>(controllers)); // EnumMap: in DiskBus order
        this.needsIde = needsIde;
    }

    /** Every disk of the spec in order, placed; throws image-hardware-unsupported when they do not fit. */
    public static DiskLayout of(MachineSpec spec) {
        List<Placed> placed = new ArrayList<>();
        Map<DiskBus, Integer> used = new EnumMap<>(DiskBus.class);
        boolean ide = spec.disks().stream().anyMatch(d -> d.bus() == DiskBus.IDE);
        int boot = 0;
        for (int i = 0; i < spec.disks().size(); i++) {
            MachineSpec.Disk d = spec.disks().get(i);
            DiskBus bus = d.seed() && d.bus() == DiskBus.NVME ? DiskBus.SATA : d.bus();
            boolean cdrom = d.seed() && bus != DiskBus.VIRTIO;
            int n = used.merge(bus, 1, Integer::sum) - 1; // this disk's number among those of its bus
            int perController = slots(bus);
            if (n >= perController * controllersAllowed(bus)) {
                throw new HangarException(HangarException.Kind.INVALID, "image-hardware-unsupported",
                        "the machine has more disks on " + describe(bus) + " than it can hold (" + perController * controllersAllowed(bus)
                                + "): " + spec.disks().stream().filter(x -> x.bus() == d.bus()).count() + " disks"
                                + (spec.disks().stream().anyMatch(MachineSpec.Disk::seed) ? " and the cloud-init seed" : ""));
            }
            // Disks boot in their order when the machine boots from firmware; a kernel booted directly needs none.
            Integer bootIndex = d.seed() || spec.kernel() != null ? null : boot++;
            placed.add(new Placed(d, bus, n / perController, n % perController, cdrom, bootIndex,
                    bus == DiskBus.SAS1068 ? sasAddress(spec.id(), i) : null));
        }
        EnumMap<DiskBus, Integer> controllers = new EnumMap<>(DiskBus.class);
        for (Placed p : placed) {
            if (isScsi(p.bus())) controllers.merge(p.bus(), p.controller() + 1, Math::max);
        }
        return new DiskLayout(placed, controllers, ide);
    }

    public List<Placed> disks() {
        return placed;
    }

    /** The SCSI controllers of each kind the disks need (VIRTIO_SCSI, LSI, SAS1068, MEGASAS, PVSCSI), in DiskBus order. */
    public Map<DiskBus, Integer> scsiControllers() {
        return controllers;
    }

    /** i440fx ("pc") is the only machine with a legacy IDE controller; q35 otherwise. */
    public String machineType() {
        return needsIde ? "pc" : "q35";
    }

    /** The controllers whose disks are SCSI devices: one device node each, disks as targets (or LUNs) on it. */
    public static boolean isScsi(DiskBus bus) {
        return switch (bus) {
            case LSI, SAS1068, MEGASAS, PVSCSI, VIRTIO_SCSI -> true;
            default -> false;
        };
    }

    /**
     * A disk's SAS address on an LSI SAS1068, in the NAA 5 form: Linux's mptsas skips any device whose
     * address is 0 (QEMU's default), and two devices with one address merge into one port. Stable for
     * the VM (from its id and the disk's index), so {@code /dev/disk/by-id/wwn-0x...} names stay the
     * same across restarts. 0x5 + the 24-bit company id 0x525400 (QEMU's, as in its MACs) + 36 bits:
     * 28 from a hash of the VM's id, 8 for the disk's index.
     */
    public static String sasAddress(String vmId, int index) {
        long hash;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(vmId.getBytes(StandardCharsets.UTF_8));
            hash = ((d[0] & 0xffL) << 24 | (d[1] & 0xffL) << 16 | (d[2] & 0xffL) << 8 | (d[3] & 0xffL)) & 0xfffffffL;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        long wwn = 0x5L << 60 | 0x525400L << 36 | hash << 8 | (index & 0xffL);
        return String.format("0x%016x", wwn);
    }

    /** How many devices one controller of the bus takes. */
    static int slots(DiskBus bus) {
        return switch (bus) {
            case IDE -> IDE_SLOTS;
            case SATA -> SATA_PORTS;
            case LSI -> 7;       // QEMU's lsi53c895a: targets 0-6 (7 is the adapter)
            case SAS1068 -> 8;   // QEMU's mptsas1068: targets 0-7
            case MEGASAS, PVSCSI -> 64;
            case VIRTIO_SCSI -> 256; // LUNs of target 0
            case VIRTIO -> Integer.MAX_VALUE; // one PCI device each
            case NVME -> 8; // one PCI device each, in the PCI slots libvirt's override places them in (see DomainXml)
        };
    }

    private static int controllersAllowed(DiskBus bus) {
        return isScsi(bus) && bus != DiskBus.VIRTIO_SCSI ? MAX_SCSI_CONTROLLERS : 1;
    }

    private static String describe(DiskBus bus) {
        return switch (bus) {
            case IDE -> "IDE";
            case SATA -> "SATA";
            case LSI -> "LSI Logic (lsilogic)";
            case SAS1068 -> "LSI Logic SAS (lsisas1068)";
            case MEGASAS -> "MegaRAID SAS";
            case PVSCSI -> "VMware Paravirtual SCSI (pvscsi)";
            case VIRTIO_SCSI -> "virtio-scsi";
            case VIRTIO -> "virtio";
            case NVME -> "NVMe";
        };
    }
}
