package dev.hangar.hypervisor.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KVM where it works, TCG (software emulation) elsewhere. /dev/kvm alone is not enough: in a nested VM
 * without vmx/svm the device opens but guests hang, so the CPU flags must say so too.
 */
public enum Accelerator {
    KVM("kvm", "host"), TCG("tcg", "max");

    private static final Logger log = LoggerFactory.getLogger(Accelerator.class);
    private final String qemuName;
    private final String cpuModel;

    Accelerator(String qemuName, String cpuModel) {
        this.qemuName = qemuName;
        this.cpuModel = cpuModel;
    }

    public String qemuName() { return qemuName; }

    public String cpuModel() { return cpuModel; }

    /** "auto" probes; "kvm" or "tcg" force the choice. The choice is logged either way. */
    public static Accelerator choose(String setting) {
        String s = setting == null ? "auto" : setting.toLowerCase(Locale.ROOT);
        Accelerator chosen;
        String why;
        switch (s) {
            case "kvm" -> { chosen = KVM; why = "forced by configuration"; }
            case "tcg" -> { chosen = TCG; why = "forced by configuration"; }
            case "auto" -> {
                boolean device = kvmDeviceUsable(Path.of("/dev/kvm"));
                boolean flags = cpuHasVirtualization(Path.of("/proc/cpuinfo"));
                chosen = device && flags ? KVM : TCG;
                why = "probe: /dev/kvm usable=" + device + ", cpu vmx/svm=" + flags;
            }
            default -> throw new IllegalArgumentException("accelerator must be auto, kvm or tcg, not " + setting);
        }
        log.info("accelerator {} ({})", chosen.qemuName, why);
        return chosen;
    }

    static boolean kvmDeviceUsable(Path device) {
        try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "rw")) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean cpuHasVirtualization(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags") && (line.contains(" vmx") || line.contains(" svm"))) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
