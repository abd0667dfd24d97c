package dev.hangar.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.core.vms.WarmMemory;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private static final Path DIR = Path.of("/data/vms/abc");
    private static final String MAC = "52:54:00:12:34:99";

    private static MachineSpec spec(DiskBus bus, NicModel nic, Firmware fw, boolean gui) {
        return new MachineSpec("abc", null, DIR, 2, 1024, List.of(new MachineSpec.Disk(DIR.resolve("disk0.qcow2"), bus)), fw, null, null,
                null, List.of(new MachineSpec.Nic(nic, MAC, NetAttachment.tap("hgtabc"))), gui, false);
    }

    private static String line(MachineSpec s) {
        return String.join(" ", QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.TCG, Optional.empty()));
    }

    @Test
    void aVmwareSataDiskAndE1000NicBecomeAhciAndE1000() {
        String l = line(spec(DiskBus.SATA, NicModel.E1000, Firmware.BIOS, false));
        assertTrue(l.contains("-machine q35,accel=tcg"), l);
        assertTrue(l.contains("-device ide-hd,bus=ide.0,drive=disk0,bootindex=0"), l);
        assertTrue(l.contains("-device e1000,netdev=net0,mac=52:54:00:12:34:99"), l);
        assertTrue(l.contains("-netdev tap,id=net0,ifname=hgtabc,script=no,downscript=no"), l);
    }

    @Test
    void ideDisksNeedTheI440fxMachine() {
        assertTrue(line(spec(DiskBus.IDE, NicModel.E1000, Firmware.BIOS, false)).contains("-machine pc,accel=tcg"));
    }

    @Test
    void scsiControllersMapToDevicesGuestsHaveDriversFor() {
        assertTrue(line(spec(DiskBus.LSI, NicModel.E1000, Firmware.BIOS, false)).contains("-device lsi53c895a,id=scsi-lsi"));
        assertTrue(line(spec(DiskBus.PVSCSI, NicModel.VMXNET3, Firmware.BIOS, false)).contains("-device pvscsi,id=scsi-pvscsi"));
        assertTrue(line(spec(DiskBus.PVSCSI, NicModel.VMXNET3, Firmware.BIOS, false)).contains("-device vmxnet3,netdev=net0"));
        assertTrue(line(spec(DiskBus.MEGASAS, NicModel.E1000E, Firmware.BIOS, false))
                .contains("scsi-hd,bus=scsi-megasas.0,scsi-id=0,drive=disk0"));
    }

    @Test
    void vmwaresLsisas1068IsQemusMptsas1068TheSameChipNotAMegaraid() {
        String l = line(spec(DiskBus.SAS1068, NicModel.E1000, Firmware.BIOS, false));
        assertTrue(l.contains("-device mptsas1068,id=scsi-sas1068"), l);
        assertFalse(l.contains("megasas"), l);
    }

    /** A box booted from firmware with one disk on bus and the cloud-init seed. */
    private static String withSeed(DiskBus bus) {
        return line(new MachineSpec("abc", null, DIR, 1, 256, List.of(new MachineSpec.Disk(DIR.resolve("disk0.qcow2"), bus),
                new MachineSpec.Disk(DIR.resolve("cidata.iso"), bus, true)), Firmware.BIOS, null, null, null, List.of(), false, false));
    }

    @Test
    void theSeedIsAReadOnlyCdRomOnTheBusTheGuestHasOutOfTheBootOrder() {
        String ide = withSeed(DiskBus.IDE);
        // QEMU refuses a read-only ide-hd ("Block node is read-only"): the seed is an IDE CD-ROM
        assertTrue(ide.contains("-drive file=/data/vms/abc/cidata.iso,format=raw,if=none,id=disk1,readonly=on -device ide-cd,bus=ide.0,unit=1,drive=disk1 "), ide);
        assertTrue(ide.contains("-device ide-hd,bus=ide.0,unit=0,drive=disk0,bootindex=0"), ide);
        assertTrue(withSeed(DiskBus.SATA).contains("-device ide-cd,bus=ide.1,drive=disk1 "));
        assertTrue(withSeed(DiskBus.PVSCSI).contains("-device scsi-cd,bus=scsi-pvscsi.0,scsi-id=1,drive=disk1 "));
        assertTrue(withSeed(DiskBus.NVME).contains("-device ide-cd,bus=ide.0,drive=disk1 "), "NVMe's seed on q35's AHCI");
        assertTrue(withSeed(DiskBus.VIRTIO).contains("-device virtio-blk-pci,drive=disk1 "), "a read-only virtio disk");
        assertFalse(withSeed(DiskBus.SAS1068).contains("drive=disk1,bootindex"));
    }

    @Test
    void everyDiskOnMptsasCarriesItsSasAddressForLinuxsMptsasDriver() {
        String l = withSeed(DiskBus.SAS1068);
        assertTrue(l.matches(".*-device scsi-hd,bus=scsi-sas1068.0,scsi-id=0,drive=disk0,wwn=0x5525400[0-9a-f]{7}00,bootindex=0.*"), l);
        assertTrue(l.matches(".*-device scsi-cd,bus=scsi-sas1068.0,scsi-id=1,drive=disk1,wwn=0x5525400[0-9a-f]{7}01 .*"), l);
    }

    @Test
    void disksPastEightOnMptsasGoOnASecondController() {
        List<MachineSpec.Disk> disks = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) disks.add(new MachineSpec.Disk(DIR.resolve("disk" + i + ".qcow2"), DiskBus.SAS1068));
        String l = line(new MachineSpec("abc", null, DIR, 1, 256, disks, null, null, null, null, List.of(), false, false));
        assertTrue(l.contains("-device mptsas1068,id=scsi-sas1068 -device mptsas1068,id=scsi-sas1068-1 "), l);
        assertTrue(l.contains("-device scsi-hd,bus=scsi-sas1068-1.0,scsi-id=0,drive=disk8,"), l);
    }

    @Test
    void aHostsDisksSitOnOneVirtioScsiControllerInOrderAndItsNicsEachOnTheirNetwork() {
        MachineSpec s = new MachineSpec("abc", null, DIR, 1, 512, List.of(
                new MachineSpec.Disk(DIR.resolve("blank0.qcow2"), DiskBus.VIRTIO_SCSI),
                new MachineSpec.Disk(DIR.resolve("blank1.qcow2"), DiskBus.VIRTIO_SCSI)), null, null, null, null,
                List.of(new MachineSpec.Nic(NicModel.VIRTIO, MAC, NetAttachment.tap("hgt123456")),
                        new MachineSpec.Nic(NicModel.VIRTIO, "52:54:00:00:00:02", NetAttachment.tapWithoutOffload("hgt000002"))), false, false);
        String l = line(s);
        assertEquals(1, l.split("virtio-scsi-pci", -1).length - 1, "one controller: " + l);
        assertTrue(l.contains("-device scsi-hd,bus=scsi-virtio-scsi.0,scsi-id=0,lun=0,drive=disk0,bootindex=0"), l);
        assertTrue(l.contains("-device scsi-hd,bus=scsi-virtio-scsi.0,scsi-id=0,lun=1,drive=disk1,bootindex=1"), l);
        assertTrue(l.contains("-netdev tap,id=net0,ifname=hgt123456,script=no,downscript=no -device"), l);
        assertTrue(l.contains("-netdev tap,id=net1,ifname=hgt000002,script=no,downscript=no,vnet_hdr=off"), "no offloads: " + l);
        assertTrue(l.contains("-device virtio-net-pci,netdev=net1,mac=52:54:00:00:00:02"), l);
    }

    @Test
    void anInstallerBootsItsKernelWithTheDisksAttachedAndItsRebootEndsTheMachine() {
        MachineSpec s = new MachineSpec("abc", null, DIR, 1, 512, List.of(new MachineSpec.Disk(DIR.resolve("blank0.qcow2"), DiskBus.VIRTIO_SCSI)),
                null, Path.of("/i/linux"), Path.of("/i/initrd.gz"), "auto=true priority=critical", List.of(), false, true);
        List<String> argv = QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.TCG, Optional.empty());
        assertEquals("/i/linux", argv.get(argv.indexOf("-kernel") + 1));
        assertEquals("auto=true priority=critical", argv.get(argv.indexOf("-append") + 1));
        assertTrue(argv.contains("-no-reboot"));
        assertTrue(argv.contains("scsi-hd,bus=scsi-virtio-scsi.0,scsi-id=0,lun=0,drive=disk0"), "no boot index with a kernel: " + argv);
    }

    @Test
    void efiFirmwareBootsThroughOvmfWithPerVmVariables() {
        String l = line(spec(DiskBus.SATA, NicModel.E1000, Firmware.EFI, false));
        assertTrue(l.contains("if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd"), l);
        assertTrue(l.contains("if=pflash,format=raw,file=/data/vms/abc/OVMF_VARS.fd"), l);
    }

    @Test
    void aGuiVmGetsVncOnAUnixSocketInItsDirectoryAndAHeadlessOneNoDisplay() {
        String gui = line(spec(DiskBus.SATA, NicModel.E1000, Firmware.BIOS, true));
        assertTrue(gui.contains("-device VGA -vnc unix:/data/vms/abc/vnc.sock "), gui);
        assertFalse(gui.contains("127.0.0.1"), "no TCP port: " + gui);
        String headless = line(spec(DiskBus.SATA, NicModel.E1000, Firmware.BIOS, false));
        assertTrue(headless.contains("-display none"));
        assertFalse(headless.contains("-vnc"));
        assertFalse(headless.contains("-no-reboot"), "a VM's own reboot is a reboot");
    }

    @Test
    void theProcessIsNamedAfterItsVmWritesItsPidAndIsControlledOverQmp() {
        String l = line(spec(DiskBus.VIRTIO, NicModel.VIRTIO, Firmware.BIOS, false));
        assertTrue(l.contains("-name hangar-abc "), l);
        assertTrue(l.endsWith(" -pidfile /data/vms/abc/qemu.pid"), l);
        assertFalse(l.contains("-daemonize"), "it would fork inside the sandbox, which spawn=deny forbids: " + l);
        assertTrue(l.contains("-chardev socket,id=qmp0,path=/data/vms/abc/qmp.sock,server=on,wait=off -mon chardev=qmp0,mode=control"), l);
        assertTrue(l.contains("logfile=/data/vms/abc/serial.log,logappend=on"), l);
    }

    @Test
    void everyQemuRunsSandboxedAndSwitchesToAUidOfItsOwnWhenThereIsOne() {
        MachineSpec s = spec(DiskBus.VIRTIO, NicModel.VIRTIO, Firmware.BIOS, false);
        List<String> asUser = QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.TCG, Optional.of("1900000007:995"));
        assertEquals("on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny", asUser.get(asUser.indexOf("-sandbox") + 1),
                "-runas needs setuid/setgid once, after the filter is in place");
        assertEquals("1900000007:995", asUser.get(asUser.indexOf("-runas") + 1), "the uid of its own, in the QEMUs' group");

        List<String> asItself = QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.TCG, Optional.empty());
        assertEquals("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", asItself.get(asItself.indexOf("-sandbox") + 1));
        assertFalse(asItself.contains("-runas"));
    }

    @Test
    void aCommaInADirectoryIsDoubledSoItCannotAddOptionsOfItsOwn() {
        java.nio.file.Path odd = java.nio.file.Path.of("/data/vms/a,format=raw,b");
        MachineSpec s = new MachineSpec("abc", null, odd, 1, 512, List.of(new MachineSpec.Disk(odd.resolve("disk0.qcow2"), DiskBus.VIRTIO)),
                Firmware.EFI, null, null, null, List.of(), false, false);
        String l = line(s);
        assertTrue(l.contains("-drive file=/data/vms/a,,format=raw,,b/disk0.qcow2,format=qcow2,"), l);
        assertTrue(l.contains("path=/data/vms/a,,format=raw,,b/qmp.sock,server=on"), l);
        assertTrue(l.contains("logfile=/data/vms/a,,format=raw,,b/serial.log,logappend=on"), l);
        assertTrue(l.contains("if=pflash,format=raw,file=/data/vms/a,,format=raw,,b/OVMF_VARS.fd"), l);
        String gui = String.join(" ", QemuCommandLine.build("qemu-system-x86_64", new MachineSpec("abc", null, odd, 1, 512, List.of(),
                Firmware.BIOS, null, null, null, List.of(), true, false), Accelerator.TCG, Optional.empty()));
        assertTrue(gui.contains("-vnc unix:/data/vms/a,,format=raw,,b/vnc.sock "), gui);
        assertTrue(l.contains("-pidfile /data/vms/a,format=raw,b/qemu.pid"), "a plain argument, not an option list, stays as it is: " + l);
    }

    @Test
    void directBootPassesKernelInitrdAndCommandLine() {
        MachineSpec s = new MachineSpec("abc", null, DIR, 1, 256, List.of(), null, Path.of("/g/vmlinux"), Path.of("/g/initrd.img"),
                "console=ttyS0 quiet", List.of(new MachineSpec.Nic(NicModel.VIRTIO, "52:54:00:12:34:98", NetAttachment.user())), false, false);
        List<String> argv = QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.KVM, Optional.empty());
        assertEquals("/g/vmlinux", argv.get(argv.indexOf("-kernel") + 1));
        assertEquals("/g/initrd.img", argv.get(argv.indexOf("-initrd") + 1));
        assertEquals("console=ttyS0 quiet", argv.get(argv.indexOf("-append") + 1));
        assertEquals("host", argv.get(argv.indexOf("-cpu") + 1));
        assertTrue(argv.contains("user,id=net0"));
    }

    private static MachineSpec warm(Path dir, String mac, String tap, WarmMemory.Role role, String guid) {
        return new MachineSpec(dir.getFileName().toString(), null, dir, 1, 256, List.of(new MachineSpec.Disk(dir.resolve("disk0.qcow2"), DiskBus.VIRTIO)),
                Firmware.BIOS, Path.of("/g/vmlinux"), null, "console=ttyS0", List.of(new MachineSpec.Nic(NicModel.VIRTIO, mac, NetAttachment.tap(tap))),
                false, false, new WarmMemory(role, Path.of("/g/templates/k/ram"), "pc-q35-7.2", guid));
    }

    @Test
    void aTemplateWritesItsRamToItsFileAndAClonesMapsItPrivatelyAndWaitsForTheState() {
        String template = line(warm(DIR, MAC, "hgtabc", WarmMemory.Role.TEMPLATE, "11111111-1111-1111-1111-111111111111"));
        assertTrue(template.contains("-machine pc-q35-7.2,accel=tcg,memory-backend=ram0 "), "the machine type pinned: " + template);
        assertTrue(template.contains("-object memory-backend-file,id=ram0,size=256M,mem-path=/g/templates/k/ram,share=on "), template);
        assertTrue(template.contains("-device vmgenid,guid=11111111-1111-1111-1111-111111111111"), template);
        assertFalse(template.contains("-incoming"), template);
        String clone = line(warm(DIR, MAC, "hgtabc", WarmMemory.Role.CLONE, "22222222-2222-2222-2222-222222222222"));
        assertTrue(clone.contains("mem-path=/g/templates/k/ram,share=off "), "copy-on-write: the file is never written: " + clone);
        assertTrue(clone.contains("-incoming unix:/data/vms/abc/incoming.sock"), clone);
    }

    @Test
    void twoMachinesOfOneShapeShareAFingerprintWhateverTheirPathsNamesMacsAndIdsAndAnotherShapeDoesNot() {
        MachineSpec a = warm(DIR, MAC, "hgtabc", WarmMemory.Role.TEMPLATE, "11111111-1111-1111-1111-111111111111");
        MachineSpec b = warm(Path.of("/elsewhere/tm-1"), "a2:68:67:00:00:01", "hgt000001", WarmMemory.Role.TEMPLATE, "33333333-3333-3333-3333-333333333333");
        List<String> fa = QemuCommandLine.withoutHostPaths(QemuCommandLine.build("qemu-system-x86_64", a, Accelerator.TCG, Optional.empty()), a);
        List<String> fb = QemuCommandLine.withoutHostPaths(QemuCommandLine.build("qemu-system-x86_64", b, Accelerator.TCG, Optional.empty()), b);
        assertEquals(fa, fb);
        assertFalse(String.join(" ", fa).contains("/data/vms"), String.join(" ", fa));
        MachineSpec bigger = new MachineSpec(b.id(), null, b.dir(), 1, 512, b.disks(), b.firmware(), b.kernel(), null, b.cmdline(), b.nics(), false, false, b.warm());
        assertFalse(fa.equals(QemuCommandLine.withoutHostPaths(QemuCommandLine.build("qemu-system-x86_64", bigger, Accelerator.TCG, Optional.empty()), bigger)));
    }
}
