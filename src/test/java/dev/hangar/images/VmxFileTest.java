package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VmxFileTest {
    @Test
    void readsTheMachineAFusionVmxDescribes() {
        VmxFile vmx = VmxFile.parse("""
                .encoding = "UTF-8"
                config.version = "8"
                virtualHW.version = "11"
                numvcpus = "2"
                memsize = "1024"
                guestOS = "other26xlinux-64"
                firmware = "efi"
                ethernet0.present = "TRUE"
                ethernet0.virtualDev = "vmxnet3"
                scsi0.present = "TRUE"
                scsi0.virtualDev = "pvscsi"
                scsi0:0.present = "TRUE"
                scsi0:0.fileName = "coreos.vmdk"
                """);

        MachineProfile p = vmx.profile();
        assertEquals(2, p.cpus());
        assertEquals(1024, p.memoryMib());
        assertEquals("other26xlinux-64", p.guestOs());
        assertEquals(Firmware.EFI, p.firmware());
        assertEquals(NicModel.VMXNET3, p.nic());
        assertEquals(DiskBus.PVSCSI, p.diskBus());
        assertNull(p.cmdline());
        assertEquals(List.of(new VmxFile.Disk("coreos.vmdk", DiskBus.PVSCSI, "scsi0:0")), vmx.disks());
    }

    @Test
    void keysAreCaseInsensitiveAndCommentsAreIgnored() {
        VmxFile vmx = VmxFile.parse("""
                # memsize = "9999"
                NumVCPUs = "4"
                  MEMSIZE="512"
                displayName = "say |22hello|22"
                """);

        assertEquals(4, vmx.profile().cpus());
        assertEquals(512, vmx.profile().memoryMib());
        assertEquals("say \"hello\"", vmx.get("displayname").orElseThrow());
    }

    @Test
    void unknownGuestOsIsKeptAsWritten() {
        assertEquals("darwin19-64", VmxFile.parse("guestOS = \"darwin19-64\"").profile().guestOs());
    }

    @Test
    void aVmxThatSaysLittleGetsVmwareDefaults() {
        MachineProfile p = VmxFile.parse("scsi0:0.fileName = \"disk.vmdk\"").profile();

        assertNull(p.cpus());
        assertNull(p.memoryMib());
        assertNull(p.guestOs());
        assertEquals(NicModel.E1000, p.nic(), "VMware gives most guests an e1000 when virtualDev is absent");
        assertEquals(Firmware.BIOS, p.firmware());
        assertEquals(DiskBus.LSI, p.diskBus(), "a SCSI controller without virtualDev is an LSI Logic");
    }

    @ParameterizedTest
    @CsvSource({"e1000, E1000", "e1000e, E1000E", "vmxnet3, VMXNET3", "vlance, PCNET", "VMXNET3, VMXNET3"})
    void mapsTheNicModel(String virtualDev, NicModel expected) {
        assertEquals(expected, VmxFile.parse("ethernet0.virtualDev = \"" + virtualDev + "\"").profile().nic());
    }

    @ParameterizedTest
    @CsvSource({"lsilogic, LSI", "lsisas1068, SAS1068", "pvscsi, PVSCSI", "buslogic, SATA"})
    void mapsTheScsiControllerToOneQemuEmulates(String virtualDev, DiskBus expected) {
        VmxFile vmx = VmxFile.parse("scsi0.virtualDev = \"" + virtualDev + "\"\nscsi0:0.fileName = \"d.vmdk\"");
        assertEquals(expected, vmx.profile().diskBus());
    }

    @ParameterizedTest
    @CsvSource({"ide0:0, IDE", "ide1:0, IDE", "sata0:1, SATA", "nvme0:0, NVME"})
    void mapsOtherBuses(String slot, DiskBus expected) {
        VmxFile vmx = VmxFile.parse(slot + ".fileName = \"d.vmdk\"");
        assertEquals(List.of(new VmxFile.Disk("d.vmdk", expected, slot)), vmx.disks());
    }

    @Test
    void listsOnlyPresentVmdkDisksByBusThenUnit() {
        VmxFile vmx = VmxFile.parse("""
                scsi0:1.fileName = "second.vmdk"
                scsi0:0.fileName = "first-scsi.vmdk"
                scsi1:0.fileName = "other-controller.vmdk"
                ide1:0.fileName = "tools.iso"
                ide1:0.deviceType = "cdrom-image"
                ide0:0.fileName = "boot.vmdk"
                sata0:0.present = "FALSE"
                sata0:0.fileName = "detached.vmdk"
                nvme0:0.fileName = "fast.vmdk"
                scsi0:2.present = "false"
                scsi0:2.fileName = "removed.vmdk"
                """);

        assertEquals(List.of("boot.vmdk", "first-scsi.vmdk", "second.vmdk", "other-controller.vmdk", "fast.vmdk"),
                vmx.disks().stream().map(VmxFile.Disk::fileName).toList());
        assertEquals(DiskBus.IDE, vmx.profile().diskBus(), "the profile's bus is the boot disk's");
    }

    @Test
    void disksOnAnAbsentControllerAreNotAttached() {
        VmxFile vmx = VmxFile.parse("""
                scsi0.present = "FALSE"
                scsi0:0.fileName = "gone.vmdk"
                sata0:0.fileName = "here.vmdk"
                """);
        assertEquals(List.of("here.vmdk"), vmx.disks().stream().map(VmxFile.Disk::fileName).toList());
    }

    @Test
    void aSlotNumberPastAnIntIsNoDiskNotACrash() {
        // Found by the archive fuzz suite: a NumberFormatException escaped, not a coded error.
        VmxFile vmx = VmxFile.parse("scsi4294967296:0.fileName = \"a.vmdk\"\nscsi0:99999999999999999999.fileName = \"b.vmdk\"\n"
                + "scsi0:0.fileName = \"c.vmdk\"");

        assertEquals(List.of("c.vmdk"), vmx.disks().stream().map(VmxFile.Disk::fileName).toList());
    }

    @Test
    void nonsenseNumbersAreNoOpinion() {
        MachineProfile p = VmxFile.parse("numvcpus = \"many\"\nmemsize = \"-5\"").profile();
        assertNull(p.cpus());
        assertNull(p.memoryMib());
    }
}
