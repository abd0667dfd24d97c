package dev.hangar.hypervisor;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A hypervisor as the core sees it. Machines are addressed by their directory, where the driver keeps
 * what it needs to find them again after a restart of the service: machines outlive the service.
 */
public interface Driver {
    /** Starts the machine detached from the service and returns once it runs. */
    void start(MachineSpec spec) throws IOException;

    MachineState state(Path dir);

    /** A clean power-off, waiting up to {@code grace}, then a hard stop. Returns when nothing runs. */
    void stop(Path dir, Duration grace);

    /** The guest agent's view of the guest, if the guest runs one and answers quickly. */
    Optional<GuestInfo> guestInfo(Path dir);

    /** The VNC address of a machine started with a display, e.g. {@code 127.0.0.1:5901}. */
    Optional<String> vncAddress(Path dir);
}
