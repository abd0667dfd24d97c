package dev.hangar.core.ports;

/** How a VM's NIC reaches its network: a tap device the network layer made, or QEMU's user-mode stack. */
public record NetAttachment(Kind kind, String tap) {
    public enum Kind { TAP, USER }

    public static NetAttachment tap(String name) { return new NetAttachment(Kind.TAP, name); }

    public static NetAttachment user() { return new NetAttachment(Kind.USER, null); }
}
