package dev.hangar.builds.targets;

import dev.hangar.builds.BuildErrors;
import java.util.Arrays;
import java.util.Optional;

/**
 * The targets Image Factory names, the file each one makes, and the format word that file carries
 * (used in media types: {@code application/vnd.hangar.disk.<format>}).
 */
public enum Target {
    KVM("kvm", ".qcow2", "qcow2"),
    OPENSTACK_KVM("openstack-kvm", ".qcow2", "qcow2"),
    RAW("raw", ".raw", "raw"),
    HYPERV("hyperv", ".vhdx", "vhdx"),
    /** A VMware box: NAME.vmwarevm/{NAME.vmx, NAME.vmdk} as a tar.gz, what /vms takes. */
    VSPHERE("vsphere", ".vmwarevm.tar.gz", "vmwarevm.tar+gzip"),
    VMWARE("vmware", ".vmwarevm.tar.gz", "vmwarevm.tar+gzip"),
    OVA("ova", ".ova", "ova"),
    /** Image Factory's test target: a few bytes, made at once. */
    MOCK("mock", ".mock", "mock");

    private final String wireName;
    private final String extension;
    private final String format;

    Target(String wireName, String extension, String format) {
        this.wireName = wireName;
        this.extension = extension;
        this.format = format;
    }

    /** The name Image Factory's API uses ("openstack-kvm"). */
    public String wireName() { return wireName; }

    /** What the target's file name ends with, dot included. */
    public String extension() { return extension; }

    /** The format word for media types and listings. */
    public String format() { return format; }

    public static Optional<Target> find(String wireName) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(wireName)).findFirst();
    }

    /** The target by its API name; 400 invalid-target otherwise. */
    public static Target of(String wireName) {
        return find(wireName).orElseThrow(() -> BuildErrors.invalidTarget("unknown target " + wireName
                + "; the targets are " + String.join(", ", Arrays.stream(values()).map(Target::wireName).toList())));
    }
}
