package dev.hangar.core.operations;

import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hangar's long actions, as Incus has them: the job that runs an action begins its operation with what
 * calls the action off ({@link #begin}), reports its progress through the {@link RunningOperation} it
 * gets and ends it; anyone may read one, wait for it to end ({@link #await}) or cancel it
 * ({@link #cancel}) by its id. Every change is saved (operations outlive the service) and told to the
 * watchers (the events stream, the metrics): this is the one source of an action's progress.
 *
 * <p>An operation's id is derived from its kind and target (one {@code vm.create} per VM), so a job that
 * a restart resumes goes on with the operation it had instead of leaving that one running forever.
 */
public final class Operations {
    private static final Logger log = LoggerFactory.getLogger(Operations.class);
    /** The longest a client may wait for an operation in one request. */
    public static final Duration MAX_WAIT = Duration.ofMinutes(10);

    private final OperationStore store;
    private final Clock clock;
    private final List<Consumer<Operation>> watchers = new CopyOnWriteArrayList<>();
    /** The operations some job of this process runs, by id: only these can be cancelled. */
    private final Map<UUID, RunningOperation> live = new ConcurrentHashMap<>();
    /** Notified on every save, for those who wait for an operation to end. */
    private final Object changed = new Object();

    public Operations(OperationStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Calls the watcher with every operation saved, on the saver's thread: it must only take note and return. */
    public void watch(Consumer<Operation> watcher) {
        watchers.add(watcher);
    }

    /** Begins an operation that cannot be called off once begun (a deletion, say). */
    public RunningOperation begin(String kind, String target) {
        return begin(kind, target, null);
    }

    /**
     * Begins the operation of this kind on this target, run by the caller, who reports through what this
     * returns; cancel is what calls the action off (null: it cannot be), run once on the canceller's
     * thread, and it must only ask the work to stop: the work ends the operation itself. When this pair's
     * operation is already under way (a job a restart resumed, or the next phase of the same action),
     * that one is returned and goes on.
     */
    public RunningOperation begin(String kind, String target, Runnable cancel) {
        UUID id = idOf(kind, target);
        synchronized (live) {
            RunningOperation running = live.get(id);
            if (running != null) return running;
            Operation op = store.find(id).filter(o -> o.status() == Operation.Status.RUNNING)
                    .orElseGet(() -> Operation.start(id, kind, target, clock.instant()));
            running = new RunningOperation(this, op, cancel);
            live.put(id, running);
            save(op);
            return running;
        }
    }

    /** The operation of this pair that a job of this process runs, if any. */
    public Optional<RunningOperation> running(String kind, String target) {
        return Optional.ofNullable(live.get(idOf(kind, target)));
    }

    public Operation get(UUID id) {
        return store.find(id).orElseThrow(() -> notFound(id.toString()));
    }

    /** The newest first, at most 200. */
    public List<Operation> recent() {
        return store.recent(200);
    }

    /** Whether a cancel would be taken now: the operation runs here, can be called off, and was not yet. */
    public boolean cancellable(UUID id) {
        RunningOperation running = live.get(id);
        return running != null && running.cancellable() && !running.cancelRequested();
    }

    /**
     * Asks the operation's work to stop, and returns the operation as it is then: still running, in the
     * phase "cancelling", until its work has stopped and ended it failed (operation-cancelled); asking
     * again changes nothing. 409 operation-finished when it has ended, 409 operation-not-cancellable when
     * its action cannot be called off (or no job of this service runs it any more).
     */
    public Operation cancel(UUID id) {
        Operation op = get(id);
        if (op.status() != Operation.Status.RUNNING) {
            throw new HangarException(HangarException.Kind.CONFLICT, "operation-finished",
                    "operation " + id + " has already " + op.status().name().toLowerCase(java.util.Locale.ROOT));
        }
        RunningOperation running = live.get(id);
        if (running == null || !running.cancellable()) {
            throw new HangarException(HangarException.Kind.CONFLICT, "operation-not-cancellable",
                    "a " + op.kind() + " operation cannot be called off" + (running == null ? " (no job of this service runs it)" : ""));
        }
        running.cancel();
        return get(id);
    }

    /**
     * Waits until the operation has ended or the time is up (at most {@link #MAX_WAIT}), and returns it
     * as it is then: the caller reads its status to tell which.
     */
    public Operation await(UUID id, Duration timeout) throws InterruptedException {
        Instant until = clock.instant().plus(timeout.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : timeout);
        synchronized (changed) {
            while (true) {
                Operation op = get(id);
                Duration left = Duration.between(clock.instant(), until);
                if (op.status() != Operation.Status.RUNNING || left.isNegative() || left.isZero()) return op;
                changed.wait(Math.max(1, Math.min(left.toMillis(), 1000)));
            }
        }
    }

    // ---- for RunningOperation --------------------------------------------------------------------

    Instant now() {
        return clock.instant();
    }

    void save(Operation op) {
        store.save(op);
        if (op.status() != Operation.Status.RUNNING) live.remove(op.id());
        synchronized (changed) {
            changed.notifyAll();
        }
        for (var w : watchers) {
            try {
                w.accept(op);
            } catch (RuntimeException e) {
                log.warn("an operation watcher failed on {}: {}", op.id(), e.toString());
            }
        }
    }

    static HangarException notFound(String id) {
        return new HangarException(HangarException.Kind.NOT_FOUND, "operation-not-found", "no operation " + id);
    }

    private static UUID idOf(String kind, String target) {
        return UUID.nameUUIDFromBytes((kind + " " + target).getBytes(StandardCharsets.UTF_8));
    }

    /** The problem a cancelled operation ends with, whatever its work failed with on the way out. */
    static Problem cancelled(Problem why) {
        return new Problem("operation-cancelled", "the operation was cancelled" + (why == null ? "" : " (" + why.code() + ": " + why.message() + ")"));
    }
}
