package dev.hangar.builds.targets;

import java.nio.charset.StandardCharsets;

/**
 * The {@code .vmx} of a VMware box: the shape Hangar's own reader (images/VmxFile) and VMware
 * Workstation and Fusion take. The disk hangs on SATA (AHCI): VMware supports it from hardware version
 * 10 on, QEMU emulates it as q35's built-in AHCI, and every Linux initramfs drives it, whereas an
 * LSI Logic controller needs a driver a minimal guest may lack. The NIC is e1000 for the same reason.
 */
final class VmwareBox {
    /** ESXi 6.7 / Workstation 14: old enough for every VMware product in use, new enough for SATA. */
    static final int HARDWARE_VERSION = 14;

    private VmwareBox() {}

    /** The folder inside the tar: {@code NAME.vmwarevm}, as the osx-builder boxes had it. */
    static String folder(String stem) {
        return stem + ".vmwarevm";
    }

    /** stem is a safe file stem (letters, digits, '.', '_', '-'): it needs no escaping in the .vmx. */
    static byte[] vmx(String stem, VirtualHardware hardware) {
        String text = """
                .encoding = "UTF-8"
                config.version = "8"
                virtualHW.version = "%d"
                displayName = "%s"
                guestOS = "%s"
                numvcpus = "%d"
                memsize = "%d"
                sata0.present = "TRUE"
                sata0:0.present = "TRUE"
                sata0:0.deviceType = "disk"
                sata0:0.fileName = "%s.vmdk"
                ethernet0.present = "TRUE"
                ethernet0.virtualDev = "e1000"
                ethernet0.connectionType = "nat"
                ethernet0.addressType = "generated"
                """.formatted(HARDWARE_VERSION, stem, hardware.vmwareGuestOs(), hardware.cpus(), hardware.memoryMib(), stem);
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
