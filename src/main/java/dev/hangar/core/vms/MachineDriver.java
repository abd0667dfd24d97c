package dev.hangar.core.vms;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A hypervisor as the core sees it. Machines are addressed by their directory, whose name is the VM's
 * id; there the driver keeps what it needs to find them again after a restart of the service:
 * machines outlive the service.
 */
public interface MachineDriver {
    /** Why machines cannot be started now (the hypervisor is missing or unreachable), or null: for /readyz. */
    default String unusable() {
        return null;
    }

    /**
     * Warm starts, where this hypervisor can restore a machine from a memory template with a new
     * identity; empty where it cannot (libvirt's save and restore carry the whole RAM and refuse a
     * restore whose MAC, UUID, name or generation id differ from the saved domain's).
     */
    default Optional<MemorySnapshots> memorySnapshots() {
        return Optional.empty();
    }

    /** The memory the running machine's process holds resident, where the driver can tell (0 otherwise). */
    default long residentBytes(Path dir) {
        return 0;
    }

    /** Starts the machine detached from the service and returns once it runs. */
    void start(MachineSpec spec) throws IOException;

    MachineState state(Path dir);

    /** Stops the running machine's vCPUs; its memory and devices stay as they are (suspended). */
    void pause(Path dir) throws IOException;

    /** Runs a paused machine again from where it stood. */
    void resume(Path dir) throws IOException;

    /**
     * A clean power-off, waiting up to {@code grace}, then a hard stop. Returns when nothing of the
     * machine runs, also when its directory is gone (the process is found by the VM's id).
     */
    void stop(Path dir, Duration grace);

    /** The guest agent's view of the guest, if the guest runs one and answers quickly. */
    Optional<GuestInfo> guestInfo(Path dir);

    /** What a program run in the guest left: its exit code and its output (the guest's text). */
    record GuestExit(int exitCode, String stdout, String stderr) {}

    /**
     * Runs a program in the guest through its agent (an argument list, no shell unless it is one) and
     * waits for it to end; an IOException when the guest has no agent or it did not end in time.
     */
    default GuestExit exec(Path dir, List<String> argv, Duration timeout) throws IOException {
        throw new IOException("this driver cannot run programs in guests");
    }

    /** Where the VNC server of a machine started with a display listens: {@code unix:/path/vnc.sock} (root's alone). */
    Optional<String> vncAddress(Path dir);

    /** The end of the machine's serial console log (a few MiB at most), "" when it printed nothing. */
    String console(Path dir);

    /**
     * Connects to the running machine's serial console: what the guest prints, live, and what is typed
     * into it. One client at a time (the others wait); an IOException when the machine does not run.
     */
    MachineStream openConsole(Path dir) throws IOException;

    /** Connects to the VNC server of a running machine started with a display; an IOException otherwise. */
    MachineStream openScreen(Path dir) throws IOException;

    /** Keeps the machine's files bounded (the console log); called now and then, cheap when there is nothing to do. */
    void housekeep(Path dir);

    /**
     * Removes machines of this service that no record names (by VM id), where the hypervisor keeps
     * them apart from their directories (libvirt's domains); machines of others are never touched.
     */
    default void removeLeftovers(Set<String> knownIds) {}

    /**
     * Calls back with a machine's VM id when the hypervisor reports a change of its state (libvirt's
     * lifecycle events), so a dead machine reads powered-off at once; the monitor's polling covers the rest.
     */
    default void onStateChange(Consumer<String> changed) {}
}
