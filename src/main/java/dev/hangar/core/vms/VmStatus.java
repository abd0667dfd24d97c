package dev.hangar.core.vms;

import java.util.Locale;

/** A VM's life: creating → powered-on ⇄ suspended, → powered-off, → deleting; error when creation failed. */
public enum VmStatus {
    CREATING, POWERED_ON, POWERED_OFF, SUSPENDED, ERROR, DELETING;

    /** The name used on the wire and in the database: "powered-on". */
    public String wireName() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    /** A VM that exists as a machine on disk (running or not), past creation and not being deleted. */
    public boolean isSettled() { return this == POWERED_ON || this == SUSPENDED || this == POWERED_OFF; }

    public static VmStatus fromWire(String s) { return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_')); }
}
