package dev.hangar.core.vms;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a hypervisor does for warm starts (see {@link WarmStarts}): a running template machine paused
 * and its device state written to a file, a clone machine fed that state and run, and the clone given
 * an identity of its own through its guest agent. Machines are addressed by their directory, as in
 * {@link MachineDriver}; their memory files are in their {@link MachineSpec#warm()}.
 */
public interface MemorySnapshots {
    /** A clone's identity: its hostname, its VM generation id, and each NIC's MAC in the template with the clone's own. */
    record Identity(String hostname, String generationId, List<MacChange> macs) {
        public Identity {
            macs = List.copyOf(macs);
        }
    }

    record MacChange(String inTemplate, String own) {}

    /**
     * What a restore depends on besides the image's disks: the hypervisor's build and the machine's
     * command line with no host path in it (so the shape, the devices, the pinned machine type). Two
     * templates with the same fingerprint and image are interchangeable; anything else is a new template.
     */
    String fingerprint(MachineSpec template) throws IOException;

    /** The concrete machine type (its version pinned) a spec's machine resolves to here. */
    String pinnedMachineType(MachineSpec spec) throws IOException;

    /** Whether the machine's guest agent answers now. */
    boolean agentAnswers(Path dir);

    /**
     * Throws, saying why, unless the guest can take a new identity: its image carries the
     * {@code /usr/lib/hangar/reidentify} hook that renews its network (see docs/warm-starts.md).
     */
    void requireReidentifyHook(Path dir) throws IOException;

    /** Pauses the running template, writes its device state to {@code stateFile} (whole, or not at all) and ends it. */
    void capture(Path dir, Path stateFile) throws IOException;

    /** Feeds {@code stateFile} to a clone started with a {@link WarmMemory.Role#CLONE} memory and runs it. */
    void resume(Path dir, Path stateFile) throws IOException;

    /** Sets the running guest's clock to the host's (a paused spare's stood still). */
    void setClock(Path dir) throws IOException;

    /** Gives the running clone its clock, MACs and hostname, then runs the image's hook; throws when the guest fails. */
    void reidentify(Path dir, Identity identity) throws IOException;
}
