package dev.hangar.core.vms;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A machine whose memory is a file, for warm starts (see {@link WarmStarts}). A {@code TEMPLATE} writes
 * its RAM through to {@code ramFile} (shared), so that once paused the file is the snapshot; a
 * {@code CLONE} maps the same file copy-on-write (private: it shares the template's pages until it
 * writes them, and never writes the file) and waits for the template's device state on its incoming
 * socket. Both pin the concrete machine type (the alias {@code q35} moves with QEMU's versions, a saved
 * state does not) and carry a VM generation id of their own, which tells the guest it was forked.
 */
public record WarmMemory(Role role, Path ramFile, String machineType, String generationId) {
    public enum Role { TEMPLATE, CLONE }

    public WarmMemory {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(ramFile, "ramFile");
        Objects.requireNonNull(machineType, "machineType");
        Objects.requireNonNull(generationId, "generationId");
    }
}
