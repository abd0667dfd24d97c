package dev.hangar.images;

import dev.hangar.core.SafeXml;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilder;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * An OVF descriptor (the {@code .ovf} of an OVF package or OVA): the disk files and the virtual hardware.
 * Elements and attributes are matched by local name, so OVF 1.x and 2.x and any namespace prefixes work.
 * The XML is untrusted: DTDs and external entities are refused.
 */
final class OvfDescriptor {
    // CIM ResourceType values (DMTF CIM_ResourceAllocationSettingData).
    private static final int CPU = 3, MEMORY = 4, IDE = 5, SCSI = 6, NIC = 10, DISK_DRIVE = 17, SATA = 20;
    private static final Pattern BYTE_UNITS = Pattern.compile("byte\\s*\\*\\s*2\\s*\\^\\s*(\\d+)");

    private final List<String> diskFiles;
    private final MachineProfile profile;

    private OvfDescriptor(List<String> diskFiles, MachineProfile profile) {
        this.diskFiles = diskFiles;
        this.profile = profile;
    }

    /** The disk files (hrefs relative to the descriptor), in the order of the DiskSection. */
    List<String> diskFiles() { return diskFiles; }

    MachineProfile profile() { return profile; }

    static OvfDescriptor parse(byte[] xml) {
        Document doc;
        try {
            doc = secureBuilder().parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw ImageFailures.formatUnsupported("OVF descriptor is not readable XML: " + ImageFailures.describe(e));
        }
        Element root = doc.getDocumentElement();

        Map<String, String> hrefById = new LinkedHashMap<>();
        for (Element file : descendants(root, "File")) hrefById.put(attr(file, "id"), attr(file, "href"));

        List<String> disks = new ArrayList<>();
        Map<String, String> fileByDiskId = new HashMap<>();
        for (Element disk : descendants(root, "Disk")) {
            String href = hrefById.get(attr(disk, "fileRef"));
            if (href != null) {
                disks.add(href);
                fileByDiskId.put(attr(disk, "diskId"), href);
            }
        }
        if (disks.isEmpty() && descendants(root, "DiskSection").isEmpty()) disks.addAll(hrefById.values());

        Integer cpus = null;
        Integer memoryMib = null;
        NicModel nic = null;
        Map<String, Element> itemsById = new HashMap<>();
        List<Element> items = new ArrayList<>();
        for (String name : List.of("Item", "StorageItem", "EthernetPortItem")) items.addAll(descendants(root, name));
        for (Element item : items) itemsById.put(text(item, "InstanceID"), item);
        Element firstDiskController = null;
        for (Element item : items) {
            int type = integer(text(item, "ResourceType"), -1);
            switch (type) {
                case CPU -> { if (cpus == null) cpus = positive(text(item, "VirtualQuantity")); }
                case MEMORY -> { if (memoryMib == null) memoryMib = memoryMib(item); }
                case NIC -> { if (nic == null) nic = nicModel(text(item, "ResourceSubType")); }
                case DISK_DRIVE -> {
                    if (firstDiskController == null && text(item, "HostResource") != null) {
                        firstDiskController = itemsById.get(text(item, "Parent"));
                    }
                }
                default -> { }
            }
        }
        DiskBus bus = firstDiskController != null ? bus(firstDiskController) : null;
        if (bus == null) bus = firstControllerBus(items);

        String guestOs = null;
        for (Element os : descendants(root, "OperatingSystemSection")) {
            guestOs = attr(os, "osType");
            if (guestOs == null) guestOs = text(os, "Description");
            break;
        }

        Firmware firmware = null;
        // VMware writes <vmw:Config vmw:key="firmware" vmw:value="efi"/> in the VirtualHardwareSection.
        for (Element config : descendants(root, "Config")) {
            if ("firmware".equalsIgnoreCase(attr(config, "key"))) {
                firmware = "efi".equalsIgnoreCase(attr(config, "value")) ? Firmware.EFI : Firmware.BIOS;
            }
        }

        return new OvfDescriptor(List.copyOf(disks),
                new MachineProfile(cpus, memoryMib, guestOs, nic, bus, firmware, null));
    }

    private static DocumentBuilder secureBuilder() {
        return SafeXml.builder(true);
    }

    /** Memory in MiB from VirtualQuantity and AllocationUnits ("byte * 2^20"; older tools write "MegaBytes"). */
    private static Integer memoryMib(Element item) {
        Integer quantity = positive(text(item, "VirtualQuantity"));
        if (quantity == null) return null;
        String units = text(item, "AllocationUnits");
        String u = units == null ? "" : units.toLowerCase(Locale.ROOT).trim();
        int power;
        Matcher m = BYTE_UNITS.matcher(u);
        if (m.matches()) {
            // No memory is 2^63 bytes or more: beyond that the shift below would wrap.
            if (m.group(1).length() > 2 || Integer.parseInt(m.group(1)) > 62) return null;
            power = Integer.parseInt(m.group(1));
        }
        else if (u.startsWith("giga") || u.equals("gb")) power = 30;
        else if (u.startsWith("kilo") || u.equals("kb")) power = 10;
        else if (u.equals("byte") || u.equals("bytes")) power = 0;
        else power = 20; // "MegaBytes", "MB" or nothing: MiB is what every tool means
        long mib = power >= 20 ? (long) quantity << (power - 20) : quantity >> (20 - power);
        return mib > 0 && mib <= Integer.MAX_VALUE ? (int) mib : null;
    }

    private static NicModel nicModel(String subtype) {
        if (subtype == null) return null;
        return switch (subtype.toLowerCase(Locale.ROOT)) {
            case "e1000" -> NicModel.E1000;
            case "e1000e" -> NicModel.E1000E;
            case "vmxnet3" -> NicModel.VMXNET3;
            case "pcnet32" -> NicModel.PCNET;
            case "virtio" -> NicModel.VIRTIO;
            default -> NicModel.E1000; // vmxnet/vmxnet2 and others: e1000 is what every guest drives
        };
    }

    private static DiskBus bus(Element controller) {
        String sub = text(controller, "ResourceSubType");
        String subtype = sub == null ? "" : sub.toLowerCase(Locale.ROOT);
        return switch (integer(text(controller, "ResourceType"), -1)) {
            case IDE -> DiskBus.IDE;
            case SATA -> DiskBus.SATA;
            case SCSI -> switch (subtype) {
                case "lsilogicsas" -> DiskBus.SAS1068;
                case "virtualscsi" -> DiskBus.PVSCSI;
                case "buslogic" -> DiskBus.SATA; // QEMU has no BusLogic; the guests that used it drive AHCI
                default -> DiskBus.LSI;
            };
            default -> null;
        };
    }

    /** Without a disk drive pointing at its controller: the first SCSI, else SATA, else IDE controller. */
    private static DiskBus firstControllerBus(List<Element> items) {
        for (int type : new int[] {SCSI, SATA, IDE}) {
            for (Element item : items) {
                if (integer(text(item, "ResourceType"), -1) == type) return bus(item);
            }
        }
        return null;
    }

    private static List<Element> descendants(Element root, String localName) {
        List<Element> out = new ArrayList<>();
        NodeList all = root.getElementsByTagNameNS("*", localName);
        for (int i = 0; i < all.getLength(); i++) out.add((Element) all.item(i));
        return out;
    }

    /** The text of the first direct child named {@code localName}, trimmed, or null. */
    private static String text(Element parent, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && localName.equals(e.getLocalName())) {
                String t = e.getTextContent().trim();
                return t.isEmpty() ? null : t;
            }
        }
        return null;
    }

    /** An attribute by local name whatever its prefix ({@code ovf:href}, {@code vmw:osType}, or none). */
    private static String attr(Element e, String localName) {
        NamedNodeMap attrs = e.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            Attr a = (Attr) attrs.item(i);
            String name = a.getLocalName() != null ? a.getLocalName() : a.getName();
            if (localName.equals(name)) return a.getValue();
        }
        return null;
    }

    private static Integer positive(String s) {
        int v = integer(s, -1);
        return v > 0 ? v : null;
    }

    private static int integer(String s, int fallback) {
        if (s == null || !s.trim().matches("\\d{1,9}")) return fallback;
        return Integer.parseInt(s.trim());
    }
}
