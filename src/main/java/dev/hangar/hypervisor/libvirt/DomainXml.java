package dev.hangar.hypervisor.libvirt;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.hypervisor.DiskLayout;
import dev.hangar.hypervisor.MachineFiles;
import dev.hangar.hypervisor.qemu.Accelerator;
import dev.hangar.process.QemuUsers;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * A {@link MachineSpec} as libvirt domain XML: the same machine the QEMU driver starts (cpus, memory,
 * firmware, direct kernel boot, disks on the image's controller or virtio-scsi, NICs on the taps Hangar
 * made, the serial console on a socket with its log, the guest agent channel, VNC on a Unix socket for
 * a display). Pure, like the QEMU command line, so the mapping is tested on its own. Written with the
 * JDK's DOM, so every value is escaped.
 *
 * <p>Domains are named {@code hangar-<name or id>} and carry the VM's id as their UUID and Hangar's mark
 * (the VM's id and the service that made it) in their metadata. Given the ids of the domain's own user
 * ({@link QemuUsers}), they carry a static DAC label {@code +UID:+GID}: libvirt runs their QEMU as a uid
 * no other domain shares and gives it the domain's files while it runs, but never a clone's backing file
 * (the gold every clone of it shares), whose chain is written out with relabelling off. Without them (a
 * service that is not root, a remote libvirt) libvirt runs their QEMU as qemu.conf's user. libvirt's
 * seccomp sandbox stays on either way.
 */
final class DomainXml {
    static final String NAMESPACE = "https://hangar.dev/xmlns/vm/1";
    /** libvirt's namespace for what it passes to QEMU as it is: here, NVMe frontends (see {@link #nvme}). */
    private static final String QEMU_NAMESPACE = "http://libvirt.org/schemas/domain/qemu/1.0";

    private DomainXml() {}

    static String name(MachineSpec spec) {
        return "hangar-" + (spec.name() != null ? spec.name() : spec.id());
    }

    static String build(MachineSpec spec, Accelerator accel, String owner) {
        return build(spec, accel, owner, Optional.empty(), disk -> Optional.empty());
    }

    /** With a user of its own: its label, and each clone's backing file, which libvirt must leave as it is. */
    static String build(MachineSpec spec, Accelerator accel, String owner, Optional<QemuUsers.Ids> user,
                        Function<Path, Optional<Path>> backingOf) {
        DiskLayout layout = DiskLayout.of(spec);
        Document doc = newDocument();
        Element domain = doc.createElement("domain");
        doc.appendChild(domain);
        domain.setAttribute("type", accel == Accelerator.KVM ? "kvm" : "qemu");
        text(domain, "name", name(spec));
        text(domain, "uuid", spec.id());
        Element mark = doc.createElementNS(NAMESPACE, "hangar:vm");
        mark.setAttribute("id", spec.id());
        mark.setAttribute("owner", owner);
        add(domain, "metadata").appendChild(mark);
        text(domain, "memory", String.valueOf(spec.memoryMib())).setAttribute("unit", "MiB");
        text(domain, "vcpu", String.valueOf(spec.cpus()));

        Element os = add(domain, "os");
        Element type = text(os, "type", "hvm");
        type.setAttribute("arch", "x86_64");
        type.setAttribute("machine", layout.machineType());
        if (spec.firmware() == Firmware.EFI) {
            Element loader = text(os, "loader", MachineFiles.OVMF_CODE.toString());
            loader.setAttribute("readonly", "yes");
            loader.setAttribute("type", "pflash");
            text(os, "nvram", spec.dir().resolve(MachineFiles.VARS_FILE).toString());
        }
        if (spec.kernel() != null) {
            text(os, "kernel", spec.kernel().toString());
            if (spec.initrd() != null) text(os, "initrd", spec.initrd().toString());
            if (spec.cmdline() != null) text(os, "cmdline", spec.cmdline());
        }
        add(add(domain, "features"), "acpi");
        // TCG: every feature QEMU can emulate (as -cpu max); KVM: the host's own CPU.
        add(domain, "cpu").setAttribute("mode", accel == Accelerator.KVM ? "host-passthrough" : "maximum");
        text(domain, "on_poweroff", "destroy");
        // An installer's reboot ends the machine, as virt-install's install phase does.
        text(domain, "on_reboot", spec.noReboot() ? "destroy" : "restart");
        text(domain, "on_crash", "destroy");

        Element devices = add(domain, "devices");
        addDisks(devices, layout, user.isPresent() ? backingOf : disk -> Optional.empty());
        addNics(devices, spec);
        Element serial = add(devices, "serial");
        serial.setAttribute("type", "unix");
        socket(serial, spec.dir().resolve(MachineFiles.SERIAL_SOCKET));
        Element log = add(serial, "log");
        log.setAttribute("file", spec.dir().resolve(MachineFiles.SERIAL_LOG).toString());
        log.setAttribute("append", "on");
        add(serial, "target").setAttribute("port", "0");
        Element agent = add(devices, "channel");
        agent.setAttribute("type", "unix");
        socket(agent, spec.dir().resolve(MachineFiles.AGENT_SOCKET));
        Element agentTarget = add(agent, "target");
        agentTarget.setAttribute("type", "virtio");
        agentTarget.setAttribute("name", "org.qemu.guest_agent.0");
        if (spec.gui()) {
            // A Unix socket, as under the QEMU driver; with no path given libvirt makes one in the domain's
            // private directory, where its QEMU may create it and only root and that QEMU can reach it.
            Element vnc = add(devices, "graphics");
            vnc.setAttribute("type", "vnc");
            add(vnc, "listen").setAttribute("type", "socket");
        }
        add(add(devices, "video"), "model").setAttribute("type", spec.gui() ? "vga" : "none");
        add(devices, "memballoon").setAttribute("model", "none");
        user.ifPresent(ids -> {
            Element label = add(domain, "seclabel");
            label.setAttribute("type", "static");
            label.setAttribute("model", "dac");
            label.setAttribute("relabel", "yes");
            text(label, "label", "+" + ids.uid() + ":+" + ids.gid());
        });
        return serialize(doc);
    }

    /** libvirt's name for each controller model: lsilogic is QEMU's lsi53c895a, lsisas1068 its mptsas1068. */
    private static String scsiModel(DiskBus bus) {
        return switch (bus) {
            case LSI -> "lsilogic";
            case SAS1068 -> "lsisas1068";
            case MEGASAS -> "lsisas1078";
            case PVSCSI -> "vmpvscsi";
            case VIRTIO_SCSI -> "virtio-scsi";
            default -> null;
        };
    }

    private static void addDisks(Element devices, DiskLayout layout, Function<Path, Optional<Path>> backingOf) {
        // libvirt numbers SCSI controllers of every model in one sequence: each kind's first index.
        Map<DiskBus, Integer> firstIndex = new EnumMap<>(DiskBus.class);
        int controllers = 0;
        for (var kind : layout.scsiControllers().entrySet()) {
            firstIndex.put(kind.getKey(), controllers);
            controllers += kind.getValue();
        }
        int[] perPrefix = new int[3]; // vd, sd, hd: target names are only unique labels, the addresses place the disks
        for (DiskLayout.Placed p : layout.disks()) {
            MachineSpec.Disk d = p.disk();
            Element disk = add(devices, "disk");
            disk.setAttribute("type", "file");
            disk.setAttribute("device", p.cdrom() ? "cdrom" : "disk");
            Element driver = add(disk, "driver");
            driver.setAttribute("name", "qemu");
            driver.setAttribute("type", p.format());
            if (!d.seed()) driver.setAttribute("cache", "writeback");
            add(disk, "source").setAttribute("file", d.file().toString());
            if (!d.seed()) backingOf.apply(d.file()).ifPresent(base -> backingStore(disk, base));
            if (d.seed()) add(disk, "readonly");
            Element target = add(disk, "target");
            if (DiskLayout.isScsi(p.bus())) {
                target.setAttribute("dev", "sd" + letter(perPrefix[1]++));
                target.setAttribute("bus", "scsi");
                int controller = firstIndex.get(p.bus()) + p.controller();
                switch (p.bus()) {
                    // libvirt makes the unit the SCSI id on lsilogic, and the LUN (of the target's SCSI id) on the others
                    case LSI -> drive(disk, controller, 0, 0, p.slot());
                    case VIRTIO_SCSI -> drive(disk, controller, 0, 0, p.slot()); // LUNs of target 0
                    default -> drive(disk, controller, 0, p.slot(), 0);          // one target per disk, as VMware's HBAs
                }
            } else {
                switch (p.bus()) {
                    case VIRTIO -> {
                        target.setAttribute("dev", "vd" + letter(perPrefix[0]++));
                        target.setAttribute("bus", "virtio");
                    }
                    case IDE -> {
                        target.setAttribute("dev", "hd" + letter(perPrefix[2]++));
                        target.setAttribute("bus", "ide");
                        drive(disk, 0, p.ideChannel(), 0, p.ideUnit());
                    }
                    case SATA -> {
                        target.setAttribute("dev", "sd" + letter(perPrefix[1]++));
                        target.setAttribute("bus", "sata");
                        drive(disk, 0, 0, 0, p.slot());
                    }
                    case NVME -> {
                        target.setAttribute("dev", "sd" + letter(perPrefix[1]++));
                        target.setAttribute("bus", "sata");
                        // an address on a SATA controller of its own (libvirt adds it; it stays empty), so
                        // it never takes a port of the machine's own SATA controller, where the seed sits
                        drive(disk, 1 + p.slot() / DiskLayout.SATA_PORTS, 0, 0, p.slot() % DiskLayout.SATA_PORTS);
                        nvme(disk, p);
                    }
                    case VIRTIO_SCSI, LSI, SAS1068, MEGASAS, PVSCSI -> throw new IllegalStateException("a SCSI bus: " + p.bus());
                }
            }
            if (p.wwn() != null) text(disk, "wwn", p.wwn().substring(2));
            if (p.bootIndex() != null) add(disk, "boot").setAttribute("order", String.valueOf(p.bootIndex() + 1));
        }
        for (var kind : layout.scsiControllers().entrySet()) {
            for (int c = 0; c < kind.getValue(); c++) {
                Element controller = add(devices, "controller");
                controller.setAttribute("type", "scsi");
                controller.setAttribute("index", String.valueOf(firstIndex.get(kind.getKey()) + c));
                controller.setAttribute("model", scsiModel(kind.getKey()));
            }
        }
    }

    /**
     * A clone's backing file (a gold image's qcow2, itself the end of the chain), which libvirt must not
     * relabel: it is shared by every clone of the gold, and stays root's and read-only.
     */
    private static void backingStore(Element disk, Path base) {
        Element store = add(disk, "backingStore");
        store.setAttribute("type", "file");
        add(store, "format").setAttribute("type", "qcow2");
        Element source = add(store, "source");
        source.setAttribute("file", base.toString());
        Element label = add(source, "seclabel");
        label.setAttribute("model", "dac");
        label.setAttribute("relabel", "no");
        add(store, "backingStore");
    }

    /**
     * An NVMe disk. libvirt 9 (Debian 12) has no NVMe disk bus, so the disk is declared on SATA, where
     * libvirt opens it, gives its QEMU access and names its node, and QEMU is told, through libvirt's
     * documented {@code qemu:override}, to make that disk's frontend an {@code nvme} device on the root
     * PCIe bus (slots 0x10 on, which libvirt leaves free: it puts its own devices behind root ports in
     * slots 1 to 4) with the serial number the QEMU driver gives it.
     */
    private static void nvme(Element disk, DiskLayout.Placed p) {
        String alias = "ua-hangar-nvme" + p.slot(); // "ua-": a user alias, which libvirt keeps as the device's id
        add(disk, "alias").setAttribute("name", alias);
        Document doc = disk.getOwnerDocument();
        Element domain = doc.getDocumentElement();
        Element override = firstChild(domain, QEMU_NAMESPACE, "override");
        if (override == null) {
            override = doc.createElementNS(QEMU_NAMESPACE, "qemu:override");
            domain.appendChild(override);
        }
        Element device = doc.createElementNS(QEMU_NAMESPACE, "qemu:device");
        device.setAttribute("alias", alias);
        override.appendChild(device);
        Element frontend = doc.createElementNS(QEMU_NAMESPACE, "qemu:frontend");
        device.appendChild(frontend);
        for (String[] property : new String[][] {{"driver", "nvme"}, {"bus", "pcie.0"},
                {"addr", String.format("0x%x", 0x10 + p.slot())}, {"serial", "hangar" + p.slot()}}) {
            Element e = doc.createElementNS(QEMU_NAMESPACE, "qemu:property");
            e.setAttribute("name", property[0]);
            e.setAttribute("type", "string");
            e.setAttribute("value", property[1]);
            frontend.appendChild(e);
        }
    }

    private static Element firstChild(Element parent, String namespace, String localName) {
        for (var n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && namespace.equals(e.getNamespaceURI()) && localName.equals(e.getLocalName())) return e;
        }
        return null;
    }

    /** A drive address: libvirt's controller index, bus (the IDE channel), target, unit (the SCSI id on lsilogic, a LUN, port or IDE unit). */
    private static void drive(Element disk, int controller, int bus, int target, int unit) {
        Element address = add(disk, "address");
        address.setAttribute("type", "drive");
        address.setAttribute("controller", String.valueOf(controller));
        address.setAttribute("bus", String.valueOf(bus));
        address.setAttribute("target", String.valueOf(target));
        address.setAttribute("unit", String.valueOf(unit));
    }

    private static void addNics(Element devices, MachineSpec spec) {
        for (MachineSpec.Nic nic : spec.nics()) {
            Element iface = add(devices, "interface");
            boolean tap = nic.net().kind() == NetAttachment.Kind.TAP;
            iface.setAttribute("type", tap ? "ethernet" : "user");
            add(iface, "mac").setAttribute("address", nic.mac());
            if (tap) {
                // The tap is Hangar's (made, bridged and removed by its network layer): libvirt only opens it.
                Element target = add(iface, "target");
                target.setAttribute("dev", nic.net().tap());
                target.setAttribute("managed", "no");
            }
            NicModel model = nic.model() == null ? NicModel.VIRTIO : nic.model();
            add(iface, "model").setAttribute("type", switch (model) {
                case E1000 -> "e1000";
                case E1000E -> "e1000e";
                case VMXNET3 -> "vmxnet3";
                case VIRTIO -> "virtio";
                case PCNET -> "pcnet";
                case RTL8139 -> "rtl8139";
            });
            if (tap && !nic.net().offload() && model == NicModel.VIRTIO) {
                // The QEMU driver's vnet_hdr=off: checksums complete before the frame leaves the guest.
                Element driver = add(iface, "driver");
                driver.setAttribute("name", "qemu");
                Element host = add(driver, "host");
                for (String f : new String[] {"csum", "gso", "tso4", "tso6", "ecn", "ufo"}) host.setAttribute(f, "off");
                Element guest = add(driver, "guest");
                for (String f : new String[] {"csum", "tso4", "tso6", "ecn", "ufo"}) guest.setAttribute(f, "off");
            }
        }
    }

    private static void socket(Element device, Path path) {
        Element source = add(device, "source");
        source.setAttribute("mode", "bind");
        source.setAttribute("path", path.toString());
    }

    private static String letter(int i) {
        return i < 26 ? String.valueOf((char) ('a' + i)) : letter(i / 26 - 1) + (char) ('a' + i % 26);
    }

    private static Element add(Element parent, String name) {
        Element e = parent.getOwnerDocument().createElement(name);
        parent.appendChild(e);
        return e;
    }

    private static Element text(Element parent, String name, String value) {
        Element e = add(parent, name);
        e.setTextContent(value);
        return e;
    }

    private static Document newDocument() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            return f.newDocumentBuilder().newDocument();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String serialize(Document doc) {
        try {
            var t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }
}
