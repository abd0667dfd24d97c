package dev.hangar.core.networks;

/**
 * How a VM's NIC reaches its network: a tap device the network layer made, or QEMU's user-mode stack.
 * {@code offload} says whether the guest may hand checksums to the host (virtio's offloads): not where
 * a userspace switch forwards the frames between taps as they are, unchecked.
 */
public record NetAttachment(Kind kind, String tap, boolean offload) {
    public enum Kind { TAP, USER }

    public static NetAttachment tap(String name) { return new NetAttachment(Kind.TAP, name, true); }

    /** A tap whose frames must leave the guest with their checksums complete. */
    public static NetAttachment tapWithoutOffload(String name) { return new NetAttachment(Kind.TAP, name, false); }

    public static NetAttachment user() { return new NetAttachment(Kind.USER, null, false); }
}
