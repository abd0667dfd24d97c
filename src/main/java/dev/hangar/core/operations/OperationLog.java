package dev.hangar.core.operations;

import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Records long actions as {@link Operation}s as they go; reads them back for the faces. */
public final class OperationLog {
    private final OperationStore store;
    private final Clock clock;
    private final List<java.util.function.Consumer<Operation>> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

    public OperationLog(OperationStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Calls the watcher with every operation saved, on the saver's thread: it must only take note and return. */
    public void watch(java.util.function.Consumer<Operation> watcher) {
        watchers.add(watcher);
    }

    private Operation saved(Operation op) {
        store.save(op);
        for (var w : watchers) {
            try {
                w.accept(op);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(OperationLog.class).warn("an operation watcher failed on {}: {}", op.id(), e.toString());
            }
        }
        return op;
    }

    /**
     * The operation of this kind on this target: one per pair, so a job resumed after a restart goes on
     * with the operation it had rather than leaving it running forever.
     */
    public Operation start(String kind, String target) {
        UUID id = UUID.nameUUIDFromBytes((kind + " " + target).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Optional<Operation> existing = store.find(id);
        if (existing.isPresent() && existing.get().status() == Operation.Status.RUNNING) return existing.get();
        return saved(Operation.start(id, kind, target, clock.instant()));
    }

    public Operation progress(Operation op, int percent, String phase) {
        return saved(op.at(percent, phase, clock.instant()));
    }

    public void succeeded(Operation op) {
        saved(op.succeeded(clock.instant()));
    }

    public void failed(Operation op, Problem problem) {
        saved(op.failed(problem, clock.instant()));
    }

    public Operation get(UUID id) {
        return store.find(id).orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "operation-not-found",
                "no operation " + id));
    }

    public List<Operation> recent() {
        return store.recent(200);
    }
}
