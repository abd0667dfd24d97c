package dev.hangar.core.operations;

import dev.hangar.core.Problem;
import java.time.Instant;
import java.util.UUID;

/**
 * A long action (creating a VM, installing a host, deleting one) as a record that outlives the
 * service: its status, how far it got (percent and the current phase, in words), and why it failed.
 */
public record Operation(
        UUID id,
        String kind,
        String target,
        Status status,
        int progress,
        String phase,
        Problem error,
        Instant createdAt,
        Instant updatedAt) {

    public enum Status { RUNNING, SUCCEEDED, FAILED }

    public static Operation start(UUID id, String kind, String target, Instant now) {
        return new Operation(id, kind, target, Status.RUNNING, 0, "queued", null, now, now);
    }

    public Operation at(int percent, String newPhase, Instant now) {
        return new Operation(id, kind, target, Status.RUNNING, percent, newPhase, null, createdAt, now);
    }

    public Operation succeeded(Instant now) {
        return succeeded("done", now);
    }

    /** Succeeded, its last phase saying what the work met on the way (a warm start that fell back to cold). */
    public Operation succeeded(String finalPhase, Instant now) {
        return new Operation(id, kind, target, Status.SUCCEEDED, 100, finalPhase, null, createdAt, now);
    }

    public Operation failed(Problem p, Instant now) {
        return new Operation(id, kind, target, Status.FAILED, progress, phase, p, createdAt, now);
    }
}
