package dev.hangar.core;

import java.time.Instant;
import java.util.UUID;

/**
 * One virtual machine, whatever face created it. Immutable: a change makes a new value that the
 * service stores. Cpus and memory are the effective values (request, else image, else default).
 */
public record Vm(
        UUID id,
        String name,
        ImageRef image,
        int cpus,
        long memoryMib,
        NetworkType networkType,
        boolean gui,
        int toolsInitTimeoutSeconds,
        String callbackUrl,
        Dialect dialect,
        String mac,
        VmStatus status,
        String ipAddress,
        String guestOs,
        String vnc,
        Problem error,
        Instant createdAt,
        Integer requestedCpus,
        Long requestedMemoryMib) {

    // requestedCpus and requestedMemoryMib keep what the client asked for (null: not given), so that a
    // creation resumed after a restart still lets the request override the image's own values.

    /**
     * Which version of the OS X Builder document the client spoke: 000 sends memory as an IEC string
     * and launch_gui, 001 an integer of MiB and headless. Answers use the same form, so either client's
     * decoder keeps working.
     */
    public enum Dialect { IEC, MIB }

    public Vm withStatus(VmStatus s) {
        return new Vm(id, name, image, cpus, memoryMib, networkType, gui, toolsInitTimeoutSeconds, callbackUrl, dialect, mac, s, ipAddress, guestOs, vnc, error, createdAt, requestedCpus, requestedMemoryMib);
    }

    public Vm withIp(String ip) {
        return new Vm(id, name, image, cpus, memoryMib, networkType, gui, toolsInitTimeoutSeconds, callbackUrl, dialect, mac, status, ip, guestOs, vnc, error, createdAt, requestedCpus, requestedMemoryMib);
    }

    public Vm withGuestOs(String os) {
        return new Vm(id, name, image, cpus, memoryMib, networkType, gui, toolsInitTimeoutSeconds, callbackUrl, dialect, mac, status, ipAddress, os, vnc, error, createdAt, requestedCpus, requestedMemoryMib);
    }

    public Vm withVnc(String v) {
        return new Vm(id, name, image, cpus, memoryMib, networkType, gui, toolsInitTimeoutSeconds, callbackUrl, dialect, mac, status, ipAddress, guestOs, v, error, createdAt, requestedCpus, requestedMemoryMib);
    }

    public Vm withHardware(int c, long mib) {
        return new Vm(id, name, image, c, mib, networkType, gui, toolsInitTimeoutSeconds, callbackUrl, dialect, mac, status, ipAddress, guestOs, vnc, error, createdAt, requestedCpus, requestedMemoryMib);
    }

    public Vm failed(Problem p) {
        return new Vm(id, name, image, cpus, memoryMib, networkType, gui, toolsInitTimeoutSeconds, callbackUrl, dialect, mac, VmStatus.ERROR, ipAddress, guestOs, vnc, p, createdAt, requestedCpus, requestedMemoryMib);
    }

    /**
     * The tap device name: "hgt" and the MAC's last 6 hex digits, within Linux's 15 characters and as
     * unique as the MAC, which the database keeps unique.
     */
    public String tapName() { return "hgt" + mac.replace(":", "").substring(6); }
}
