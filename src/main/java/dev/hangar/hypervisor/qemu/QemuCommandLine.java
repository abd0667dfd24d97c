package dev.hangar.hypervisor.qemu;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.core.vms.WarmMemory;
import dev.hangar.hypervisor.DiskLayout;
import dev.hangar.hypervisor.MachineFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a {@link MachineSpec} into a qemu-system-x86_64 command line. Pure: no I/O, so the mapping from
 * VMware-style hardware to QEMU devices the guest has drivers for is tested on its own.
 */
final class QemuCommandLine {
    static final String QMP_SOCKET = "qmp.sock";
    static final String PID_FILE = "qemu.pid";
    static final String VNC_SOCKET = "vnc.sock";
    /** Where a warm clone waits for its template's device state (made by QEMU, as root, before it switches user). */
    static final String INCOMING_SOCKET = "incoming.sock";

    private QemuCommandLine() {}

    /** The marker in a QEMU's command line that ties the process to its VM, checked before any kill. */
    static String processName(String id) {
        return "hangar-" + id;
    }

    /**
     * A path as a value in QEMU's KEY=VALUE,... options: a comma there ends the value unless doubled, so
     * a directory named "a,b" would otherwise smuggle in options of its own.
     */
    static String opt(Path path) {
        return path.toString().replace(",", ",,");
    }

    /** QEMU's seccomp filter, as libvirt sets it, but for the switch of user (below). */
    static String sandbox(Optional<String> runAs) {
        // -runas switches user with setuid/setgid once it has opened its files, taps and sockets, and
        // QEMU 7.2 installs the filter before that: elevateprivileges=deny would kill it at the switch.
        // Once switched, the process holds no capability, so the calls are harmless to allow. Without a
        // switch nothing needs them. spawn=deny (no fork, no exec) is why QEMU is not run with -daemonize
        // (which forks after the filter is in place): the driver detaches it with setsid instead.
        return "on,obsolete=deny,elevateprivileges=" + (runAs.isPresent() ? "allow" : "deny") + ",spawn=deny,resourcecontrol=deny";
    }

    /**
     * The command line; with runAs, QEMU switches to that user once it has opened every file it needs,
     * so the machine's directory, disks and sockets stay root's and the guest's QEMU reaches nothing else.
     */
    static List<String> build(String qemuBinary, MachineSpec spec, Accelerator accel, Optional<String> runAs) {
        Path dir = spec.dir();
        DiskLayout layout = DiskLayout.of(spec);
        WarmMemory warm = spec.warm();
        String machine = warm == null ? layout.machineType() + ",accel=" + accel.qemuName()
                : warm.machineType() + ",accel=" + accel.qemuName() + ",memory-backend=ram0";
        List<String> a = new ArrayList<>(List.of(qemuBinary,
                "-name", processName(spec.id()),
                "-sandbox", sandbox(runAs),
                "-machine", machine,
                "-cpu", accel.cpuModel(),
                "-smp", String.valueOf(spec.cpus()),
                "-m", spec.memoryMib() + "M",
                "-nodefaults", "-no-user-config",
                // QMP through a chardev rather than -qmp unix:PATH: only QEMU's option syntax escapes a comma in a path.
                "-chardev", "socket,id=qmp0,path=" + opt(dir.resolve(QMP_SOCKET)) + ",server=on,wait=off",
                "-mon", "chardev=qmp0,mode=control",
                "-chardev", "socket,id=serial0,path=" + opt(dir.resolve(MachineFiles.SERIAL_SOCKET)) + ",server=on,wait=off,logfile=" + opt(dir.resolve(MachineFiles.SERIAL_LOG))
                        // appended, so the driver can trim the log from its start while QEMU writes on
                        + ",logappend=on",
                "-serial", "chardev:serial0",
                "-chardev", "socket,id=qga0,path=" + opt(dir.resolve(MachineFiles.AGENT_SOCKET)) + ",server=on,wait=off",
                "-device", "virtio-serial-pci,id=vser0",
                "-device", "virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0"));
        if (warm != null) addWarmMemory(a, spec, warm);
        if (spec.firmware() == Firmware.EFI) {
            a.addAll(List.of("-drive", "if=pflash,format=raw,readonly=on,file=" + opt(MachineFiles.OVMF_CODE),
                    "-drive", "if=pflash,format=raw,file=" + opt(dir.resolve(MachineFiles.VARS_FILE))));
        }
        if (spec.kernel() != null) {
            a.addAll(List.of("-kernel", spec.kernel().toString()));
            if (spec.initrd() != null) a.addAll(List.of("-initrd", spec.initrd().toString()));
            if (spec.cmdline() != null) a.addAll(List.of("-append", spec.cmdline()));
        }
        if (spec.noReboot()) a.add("-no-reboot");
        addDisks(a, layout);
        addNics(a, spec);
        if (spec.gui()) {
            // A Unix socket in the machine's directory, not a TCP port: only root (Hangar, and the console
            // proxy it will serve) can connect to it, so it needs no password and no port is taken.
            a.addAll(List.of("-device", "VGA", "-vnc", "unix:" + opt(dir.resolve(VNC_SOCKET))));
        } else {
            a.addAll(List.of("-display", "none"));
        }
        runAs.ifPresent(user -> a.addAll(List.of("-runas", user)));
        a.addAll(List.of("-pidfile", dir.resolve(PID_FILE).toString()));
        return a;
    }

    /**
     * The RAM as a file (shared by a template, mapped copy-on-write by its clones), the VM generation id
     * and, for a clone, the socket its template's device state comes in on. With -incoming on the
     * command line QEMU listens before it switches user, so the socket can sit in the root-only directory.
     */
    private static void addWarmMemory(List<String> a, MachineSpec spec, WarmMemory warm) {
        boolean template = warm.role() == WarmMemory.Role.TEMPLATE;
        a.addAll(List.of("-object", "memory-backend-file,id=ram0,size=" + spec.memoryMib() + "M,mem-path=" + opt(warm.ramFile())
                        + ",share=" + (template ? "on" : "off"),
                "-device", "vmgenid,guid=" + warm.generationId()));
        if (!template) a.addAll(List.of("-incoming", "unix:" + spec.dir().resolve(INCOMING_SOCKET)));
    }

    /**
     * The command line with every host path, name and per-machine value replaced by a placeholder: what
     * two machines of one shape share, so what a warm template's key is made of (with the image).
     */
    static List<String> withoutHostPaths(List<String> argv, MachineSpec spec) {
        List<String[]> swaps = new ArrayList<>();
        if (spec.warm() != null) {
            swaps.add(new String[] {opt(spec.warm().ramFile()), "$RAM"});
            swaps.add(new String[] {spec.warm().generationId(), "$GENERATION_ID"});
        }
        for (int i = 0; i < spec.disks().size(); i++) swaps.add(new String[] {opt(spec.disks().get(i).file()), "$DISK" + i});
        if (spec.kernel() != null) swaps.add(new String[] {spec.kernel().toString(), "$KERNEL"});
        if (spec.initrd() != null) swaps.add(new String[] {spec.initrd().toString(), "$INITRD"});
        for (int i = 0; i < spec.nics().size(); i++) {
            swaps.add(new String[] {"mac=" + spec.nics().get(i).mac(), "mac=$MAC" + i});
            String tap = spec.nics().get(i).net().tap();
            if (tap != null) swaps.add(new String[] {"ifname=" + tap + ",", "ifname=$TAP" + i + ","});
        }
        swaps.add(new String[] {opt(spec.dir()), "$DIR"});
        swaps.add(new String[] {spec.dir().toString(), "$DIR"});
        swaps.add(new String[] {processName(spec.id()), "$NAME"});
        List<String> out = new ArrayList<>();
        for (String arg : argv.subList(1, argv.size())) {
            for (String[] s : swaps) arg = arg.replace(s[0], s[1]);
            out.add(arg);
        }
        return out;
    }

    /** QEMU's device for each SCSI controller kind. */
    private static String controller(DiskBus bus) {
        return switch (bus) {
            case LSI -> "lsi53c895a";
            case SAS1068 -> "mptsas1068";
            case MEGASAS -> "megasas-gen2";
            case PVSCSI -> "pvscsi";
            case VIRTIO_SCSI -> "virtio-scsi-pci";
            default -> throw new IllegalArgumentException(bus + " is no SCSI controller");
        };
    }

    private static void addDisks(List<String> a, DiskLayout layout) {
        layout.scsiControllers().forEach((bus, count) -> {
            for (int c = 0; c < count; c++) a.addAll(List.of("-device", controller(bus) + ",id=" + busId(bus, c)));
        });
        for (int i = 0; i < layout.disks().size(); i++) {
            DiskLayout.Placed p = layout.disks().get(i);
            String id = "disk" + i;
            a.addAll(List.of("-drive", "file=" + opt(p.disk().file()) + ",format=" + p.format() + ",if=none,id=" + id
                    + (p.disk().seed() ? ",readonly=on" : ",cache=writeback")));
            String ide = p.cdrom() ? "ide-cd" : "ide-hd";
            String scsi = p.cdrom() ? "scsi-cd" : "scsi-hd";
            String device = switch (p.bus()) {
                case VIRTIO -> "virtio-blk-pci,drive=" + id;
                case SATA -> ide + ",bus=ide." + p.slot() + ",drive=" + id; // q35's built-in AHCI: ports ide.0 .. ide.5
                case IDE -> ide + ",bus=ide." + p.ideChannel() + ",unit=" + p.ideUnit() + ",drive=" + id;
                // one target per disk on the emulated HBAs, as VMware lays them out
                case LSI, SAS1068, MEGASAS, PVSCSI -> scsi + ",bus=" + busId(p.bus(), p.controller()) + ".0,scsi-id=" + p.slot() + ",drive=" + id
                        + (p.wwn() != null ? ",wwn=" + p.wwn() : "");
                // virtio-scsi: LUNs of target 0, as libvirt (and so virt-install) lays them out; the guest
                // scans them in order, so the first disk is sda, the second sdb
                case VIRTIO_SCSI -> scsi + ",bus=" + busId(p.bus(), 0) + ".0,scsi-id=0,lun=" + p.slot() + ",drive=" + id;
                case NVME -> "nvme,serial=hangar" + p.slot() + ",drive=" + id; // the serial libvirt's override gives it too
            };
            a.addAll(List.of("-device", device + (p.bootIndex() != null ? ",bootindex=" + p.bootIndex() : "")));
        }
    }

    private static String busId(DiskBus bus, int controller) {
        return "scsi-" + bus.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + (controller == 0 ? "" : "-" + controller);
    }

    private static void addNics(List<String> a, MachineSpec spec) {
        for (int i = 0; i < spec.nics().size(); i++) {
            MachineSpec.Nic nic = spec.nics().get(i);
            NetAttachment net = nic.net();
            String backend = net.kind() == NetAttachment.Kind.TAP
                    ? "tap,id=net" + i + ",ifname=" + net.tap() + ",script=no,downscript=no" + (net.offload() ? "" : ",vnet_hdr=off")
                    : "user,id=net" + i;
            String model = switch (nic.model() == null ? NicModel.VIRTIO : nic.model()) {
                case E1000 -> "e1000";
                case E1000E -> "e1000e";
                case VMXNET3 -> "vmxnet3";
                case VIRTIO -> "virtio-net-pci";
                case PCNET -> "pcnet";
                case RTL8139 -> "rtl8139";
            };
            a.addAll(List.of("-netdev", backend, "-device", model + ",netdev=net" + i + ",mac=" + nic.mac()));
        }
    }
}
