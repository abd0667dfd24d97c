package dev.hangar.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.vms.MachineSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where each disk of a machine sits, the one layout both drivers render. */
class DiskLayoutTest {
    private static final Path DIR = Path.of("/data/vms/abc");
    private static final String ID = "0b1e6a52-7f3c-4e0a-9d1c-2f5b8a4c0d11";

    /** n disks of the VM on bus, then (with seed) the cloud-init seed; booted from firmware, or a kernel. */
    private static MachineSpec spec(DiskBus bus, int n, boolean seed, boolean kernel) {
        List<MachineSpec.Disk> disks = new ArrayList<>();
        for (int i = 0; i < n; i++) disks.add(new MachineSpec.Disk(DIR.resolve("disk" + i + ".qcow2"), bus));
        if (seed) disks.add(new MachineSpec.Disk(DIR.resolve("cidata.iso"), bus, true));
        return new MachineSpec(ID, null, DIR, 1, 256, disks, null, kernel ? DIR.resolve("kernel") : null, null, null, List.of(), false, false);
    }

    private static DiskLayout.Placed seedOf(DiskLayout layout) {
        return layout.disks().getLast();
    }

    @Test
    void theSeedIsACdRomOnTheMachinesOwnBusAndNeverInTheBootOrder() {
        for (DiskBus bus : List.of(DiskBus.IDE, DiskBus.SATA, DiskBus.LSI, DiskBus.SAS1068, DiskBus.PVSCSI, DiskBus.MEGASAS, DiskBus.VIRTIO_SCSI)) {
            DiskLayout layout = DiskLayout.of(spec(bus, 1, true, false));
            DiskLayout.Placed seed = seedOf(layout);
            assertTrue(seed.cdrom(), bus + ": a CD-ROM");
            assertEquals(bus, seed.bus(), bus + ": on the controller the guest drives");
            assertNull(seed.bootIndex(), bus + ": out of the boot order");
            assertEquals("raw", seed.format());
            assertEquals(0, layout.disks().getFirst().bootIndex(), bus + ": the disk boots first");
            assertEquals(1, seed.slot(), bus + ": the slot after the disk");
        }
    }

    @Test
    void aVirtioGuestReadsItsSeedAsAReadOnlyVirtioDiskAndAnNvmeGuestOnSata() {
        DiskLayout.Placed virtio = seedOf(DiskLayout.of(spec(DiskBus.VIRTIO, 1, true, true)));
        assertEquals(DiskBus.VIRTIO, virtio.bus());
        assertTrue(!virtio.cdrom() && virtio.disk().seed(), "a read-only disk, not a CD");

        DiskLayout nvme = DiskLayout.of(spec(DiskBus.NVME, 2, true, false));
        assertEquals(DiskBus.SATA, seedOf(nvme).bus(), "NVMe has no CD-ROM: q35's own AHCI");
        assertTrue(seedOf(nvme).cdrom());
        assertEquals(0, seedOf(nvme).slot());
        assertEquals("q35", nvme.machineType());
    }

    @Test
    void ideTakesTwoChannelsOfMasterAndSlaveOnTheI440fxMachine() {
        DiskLayout layout = DiskLayout.of(spec(DiskBus.IDE, 2, true, false));
        assertEquals("pc", layout.machineType());
        assertEquals(List.of("0:0", "0:1", "1:0"), layout.disks().stream().map(p -> p.ideChannel() + ":" + p.ideUnit()).toList());
        assertEquals("q35", DiskLayout.of(spec(DiskBus.SATA, 1, false, false)).machineType());
    }

    @Test
    void aDirectlyBootedKernelNeedsNoBootOrder() {
        assertTrue(DiskLayout.of(spec(DiskBus.VIRTIO, 2, true, true)).disks().stream().allMatch(p -> p.bootIndex() == null));
    }

    @Test
    void everyDiskOnAnLsiSasControllerHasItsOwnStableNonZeroSasAddress() {
        DiskLayout layout = DiskLayout.of(spec(DiskBus.SAS1068, 2, true, false));
        List<String> wwns = layout.disks().stream().map(DiskLayout.Placed::wwn).toList();
        assertEquals(3, wwns.stream().distinct().count(), "disks and seed each their own: " + wwns);
        for (String wwn : wwns) {
            assertTrue(wwn.matches("0x5[0-9a-f]{15}"), "NAA 5, 64 bits: " + wwn);
        }
        assertEquals(wwns, DiskLayout.of(spec(DiskBus.SAS1068, 2, true, false)).disks().stream().map(DiskLayout.Placed::wwn).toList(),
                "the same for the same VM, so /dev/disk/by-id names survive a restart");
        assertNotEquals(DiskLayout.sasAddress(ID, 0), DiskLayout.sasAddress("another-vm", 0));
        assertNull(DiskLayout.of(spec(DiskBus.LSI, 1, false, false)).disks().getFirst().wwn(), "only mptsas needs one");
    }

    @Test
    void scsiDisksPastAControllersTargetsGoOnASecondController() {
        DiskLayout layout = DiskLayout.of(spec(DiskBus.SAS1068, 9, true, false));
        assertEquals(Map.of(DiskBus.SAS1068, 2), layout.scsiControllers(), "mptsas1068 has targets 0-7");
        assertEquals(List.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1), layout.disks().stream().map(DiskLayout.Placed::controller).toList());
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 0, 1), layout.disks().stream().map(DiskLayout.Placed::slot).toList());
        assertEquals(Map.of(DiskBus.LSI, 2), DiskLayout.of(spec(DiskBus.LSI, 7, true, false)).scsiControllers(), "the 53C895A: 0-6");
        assertEquals(Map.of(DiskBus.VIRTIO_SCSI, 1), DiskLayout.of(spec(DiskBus.VIRTIO_SCSI, 20, true, false)).scsiControllers());
    }

    @Test
    void disksThatFitNoControllerAreRefusedNotStartedUnseen() {
        var ide = assertThrows(HangarException.class, () -> DiskLayout.of(spec(DiskBus.IDE, 4, true, false)));
        assertEquals("image-hardware-unsupported", ide.code());
        assertEquals(HangarException.Kind.INVALID, ide.kind());
        assertTrue(ide.getMessage().contains("IDE") && ide.getMessage().contains("seed"), ide.getMessage());
        DiskLayout.of(spec(DiskBus.IDE, 4, false, false)); // four fit without a seed
        assertEquals("image-hardware-unsupported",
                assertThrows(HangarException.class, () -> DiskLayout.of(spec(DiskBus.SATA, 7, false, false))).code());
        assertEquals("image-hardware-unsupported",
                assertThrows(HangarException.class, () -> DiskLayout.of(spec(DiskBus.SAS1068, 33, false, false))).code(),
                "four controllers of 8, as VMware allows four");
    }
}
