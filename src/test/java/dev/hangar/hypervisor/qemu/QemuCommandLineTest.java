package dev.hangar.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.MachineProfile.DiskBus;
import dev.hangar.core.MachineProfile.Firmware;
import dev.hangar.core.MachineProfile.NicModel;
import dev.hangar.hypervisor.MachineSpec;
import dev.hangar.hypervisor.NetAttachment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private static final Path DIR = Path.of("/data/vms/abc");

    private static MachineSpec spec(DiskBus bus, NicModel nic, Firmware fw, boolean gui) {
        return new MachineSpec("abc", DIR, 2, 1024, List.of(DIR.resolve("disk0.qcow2")), bus, fw, null, null, null,
                nic, "52:54:00:12:34:99", NetAttachment.tap("hgtabc"), gui);
    }

    private static String line(MachineSpec s) {
        return String.join(" ", QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.TCG));
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
        assertTrue(line(spec(DiskBus.LSI, NicModel.E1000, Firmware.BIOS, false)).contains("-device lsi53c895a,id=scsi0"));
        assertTrue(line(spec(DiskBus.PVSCSI, NicModel.VMXNET3, Firmware.BIOS, false)).contains("-device pvscsi,id=scsi0"));
        assertTrue(line(spec(DiskBus.PVSCSI, NicModel.VMXNET3, Firmware.BIOS, false)).contains("-device vmxnet3,netdev=net0"));
        assertTrue(line(spec(DiskBus.MEGASAS, NicModel.E1000E, Firmware.BIOS, false)).contains("scsi-hd,bus=scsi0.0,scsi-id=0,drive=disk0"));
    }

    @Test
    void efiFirmwareBootsThroughOvmfWithPerVmVariables() {
        String l = line(spec(DiskBus.SATA, NicModel.E1000, Firmware.EFI, false));
        assertTrue(l.contains("if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd"), l);
        assertTrue(l.contains("if=pflash,format=raw,file=/data/vms/abc/OVMF_VARS.fd"), l);
    }

    @Test
    void aGuiVmGetsVncOnLoopbackOnlyAndAHeadlessOneNoDisplay() {
        assertTrue(line(spec(DiskBus.SATA, NicModel.E1000, Firmware.BIOS, true)).contains("-vnc 127.0.0.1:0,to=98"));
        String headless = line(spec(DiskBus.SATA, NicModel.E1000, Firmware.BIOS, false));
        assertTrue(headless.contains("-display none"));
        assertFalse(headless.contains("-vnc"));
    }

    @Test
    void theProcessIsDetachedNamedAfterItsVmAndControlledOverQmp() {
        String l = line(spec(DiskBus.VIRTIO, NicModel.VIRTIO, Firmware.BIOS, false));
        assertTrue(l.contains("-name hangar-abc "), l);
        assertTrue(l.contains("-daemonize -pidfile /data/vms/abc/qemu.pid"), l);
        assertTrue(l.contains("-qmp unix:/data/vms/abc/qmp.sock,server=on,wait=off"), l);
        assertTrue(l.contains("logfile=/data/vms/abc/serial.log"), l);
    }

    @Test
    void directBootPassesKernelInitrdAndCommandLine() {
        MachineSpec s = new MachineSpec("abc", DIR, 1, 256, List.of(), null, null, Path.of("/g/vmlinux"),
                Path.of("/g/initrd.img"), "console=ttyS0 quiet", NicModel.VIRTIO, "52:54:00:12:34:98", NetAttachment.user(), false);
        List<String> argv = QemuCommandLine.build("qemu-system-x86_64", s, Accelerator.KVM);
        assertEquals("/g/vmlinux", argv.get(argv.indexOf("-kernel") + 1));
        assertEquals("/g/initrd.img", argv.get(argv.indexOf("-initrd") + 1));
        assertEquals("console=ttyS0 quiet", argv.get(argv.indexOf("-append") + 1));
        assertEquals("host", argv.get(argv.indexOf("-cpu") + 1));
        assertTrue(argv.contains("user,id=net0"));
    }
}
