package dev.hangar.core.vms;

/** What a guest agent reports; either field may be empty when the guest does not say. */
public record GuestInfo(String ipAddress, String osName) {}
