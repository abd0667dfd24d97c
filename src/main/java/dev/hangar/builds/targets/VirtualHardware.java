package dev.hangar.builds.targets;

/**
 * The machine a VMware box or an OVA describes around its disk. A base image carries no hardware of its
 * own, so these are the converter's defaults (Hangar's own: 2 CPUs, 1024 MiB); a /vms request still
 * overrides CPUs and memory.
 *
 * @param vmwareGuestOs the .vmx guestOS value and the OVF vmw:osType (VMware's own id, e.g. otherlinux-64)
 */
public record VirtualHardware(int cpus, int memoryMib, String vmwareGuestOs) {
    /** A 64-bit Linux guest: what Hangar's base builder makes (Debian and its family). */
    public static final VirtualHardware DEFAULT = new VirtualHardware(2, 1024, "otherlinux-64");

    public VirtualHardware {
        if (cpus < 1 || cpus > 1024) throw new IllegalArgumentException("cpus out of range: " + cpus);
        if (memoryMib < 4 || memoryMib > (1 << 20)) throw new IllegalArgumentException("memory out of range: " + memoryMib);
        if (vmwareGuestOs == null || !vmwareGuestOs.matches("[A-Za-z0-9-]{1,64}")) {
            throw new IllegalArgumentException("bad VMware guest OS id: " + vmwareGuestOs);
        }
    }
}
