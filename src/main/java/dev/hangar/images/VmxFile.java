package dev.hangar.images;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A VMware {@code .vmx} file: {@code key = "value"} lines, {@code #} comments, keys case-insensitive.
 * Gives the machine it describes as a {@link MachineProfile} and the disks it attaches, in boot order.
 */
final class VmxFile {
    /** One attached virtual disk: the file name as written in the .vmx (relative to it) and its controller. */
    record Disk(String fileName, DiskBus bus, String slot) {}

    private static final Pattern LINE = Pattern.compile("^\\s*([^=#\\s][^=]*?)\\s*=\\s*(.*?)\\s*$");
    /** Controller and unit numbers are small; one past an int is no slot VMware writes (and no disk). */
    private static final Pattern DISK_KEY = Pattern.compile("^(ide|sata|scsi|nvme)(\\d{1,6}):(\\d{1,6})\\.filename$");
    /** Controllers in the order their disks are listed; VMware boots the first disk found in this order. */
    private static final List<String> CONTROLLER_ORDER = List.of("ide", "sata", "scsi", "nvme");

    private final Map<String, String> values;

    private VmxFile(Map<String, String> values) {
        this.values = values;
    }

    static VmxFile parse(byte[] bytes) {
        // VMware writes UTF-8 (".encoding" says so); undecodable bytes become U+FFFD rather than failing.
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    static VmxFile parse(String text) {
        Map<String, String> values = new HashMap<>();
        for (String line : text.split("\\R")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) values.put(m.group(1).toLowerCase(Locale.ROOT), unquote(m.group(2)));
        }
        return new VmxFile(values);
    }

    /** The value of {@code key} (any case), unquoted and unescaped. */
    Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key.toLowerCase(Locale.ROOT)));
    }

    MachineProfile profile() {
        List<Disk> disks = disks();
        return new MachineProfile(
                integer("numvcpus"),
                integer("memsize"),
                get("guestOS").filter(s -> !s.isBlank()).orElse(null),
                nic(),
                disks.isEmpty() ? null : disks.get(0).bus(),
                // Without a firmware line VMware boots BIOS, so the .vmx does say BIOS.
                get("firmware").map(f -> f.equalsIgnoreCase("efi") ? Firmware.EFI : Firmware.BIOS).orElse(Firmware.BIOS),
                null);
    }

    /** Attached .vmdk disks (CD images and absent devices left out), by controller type, bus number, then unit. */
    List<Disk> disks() {
        record Found(Disk disk, int controller, int bus, int unit) {}
        List<Found> found = new ArrayList<>();
        for (var e : values.entrySet()) {
            Matcher m = DISK_KEY.matcher(e.getKey());
            if (!m.matches()) continue;
            String type = m.group(1);
            String controller = type + m.group(2);
            String slot = controller + ":" + m.group(3);
            if (!present(slot) || (!type.equals("ide") && !present(controller))) continue;
            if (!e.getValue().toLowerCase(Locale.ROOT).endsWith(".vmdk")) continue;
            found.add(new Found(new Disk(e.getValue(), bus(type, controller), slot),
                    CONTROLLER_ORDER.indexOf(type), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
        }
        return found.stream()
                .sorted(Comparator.comparingInt(Found::controller).thenComparingInt(Found::bus).thenComparingInt(Found::unit))
                .map(Found::disk)
                .toList();
    }

    private boolean present(String device) {
        return !get(device + ".present").map(v -> v.equalsIgnoreCase("false")).orElse(false);
    }

    private DiskBus bus(String type, String controller) {
        return switch (type) {
            case "ide" -> DiskBus.IDE;
            case "sata" -> DiskBus.SATA;
            case "nvme" -> DiskBus.NVME;
            default -> switch (get(controller + ".virtualDev").orElse("lsilogic").toLowerCase(Locale.ROOT)) {
                case "lsisas1068" -> DiskBus.SAS1068;
                case "pvscsi" -> DiskBus.PVSCSI;
                // QEMU emulates no BusLogic controller; guests that had one (old Windows, Linux) all drive AHCI.
                case "buslogic" -> DiskBus.SATA;
                default -> DiskBus.LSI;
            };
        };
    }

    /**
     * The first NIC's model. A .vmx without ethernet0.virtualDev gets e1000 from VMware for most guests,
     * and so it does here; unknown models (vmxnet, vmxnet2) fall back to e1000 too, which every guest drives.
     */
    private NicModel nic() {
        return switch (get("ethernet0.virtualDev").orElse("e1000").toLowerCase(Locale.ROOT)) {
            case "e1000e" -> NicModel.E1000E;
            case "vmxnet3" -> NicModel.VMXNET3;
            case "vlance" -> NicModel.PCNET;
            default -> NicModel.E1000;
        };
    }

    private Integer integer(String key) {
        return get(key).map(String::trim).filter(v -> v.matches("\\d{1,9}")).map(Integer::valueOf)
                .filter(v -> v > 0).orElse(null);
    }

    /** Strips the quotes and decodes VMware's {@code |XX} hex escapes (e.g. {@code |22} for a quote). */
    private static String unquote(String raw) {
        String v = raw;
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
        if (v.indexOf('|') < 0) return v;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '|' && isHex(v, i + 1) && isHex(v, i + 2)) {
                out.append((char) HexFormat.fromHexDigits(v, i + 1, i + 3));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isHex(String s, int i) {
        return i < s.length() && HexFormat.isHexDigit(s.charAt(i));
    }
}
