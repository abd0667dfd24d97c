package dev.hangar.core.operations;

import dev.hangar.core.Problem;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An operation as the job that runs it holds it: the job reports its progress and ends it here, once;
 * what comes after the end is ignored. A cancel request runs the job's canceller once and leaves the
 * operation running ("cancelling") until the job ends it: a failure then reads operation-cancelled.
 */
public final class RunningOperation {
    private final Operations operations;
    private final Runnable cancel;
    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    private Operation current;

    RunningOperation(Operations operations, Operation start, Runnable cancel) {
        this.operations = operations;
        this.current = start;
        this.cancel = cancel;
    }

    public UUID id() {
        return current.id();
    }

    public synchronized Operation current() {
        return current;
    }

    /** Where the work is: a percent (0-99) and its phase in words. */
    public synchronized void progress(int percent, String phase) {
        if (ended()) return;
        save(current.at(Math.max(0, Math.min(99, percent)), cancelRequested.get() ? "cancelling: " + phase : phase, operations.now()));
    }

    public synchronized void succeeded() {
        succeeded("done");
    }

    public synchronized void succeeded(String finalPhase) {
        if (ended()) return;
        save(current.succeeded(finalPhase, operations.now()));
    }

    /** Ends it failed, for this reason; operation-cancelled when it was cancelled. */
    public synchronized void failed(Problem problem) {
        if (ended()) return;
        save(current.failed(cancelRequested.get() ? Operations.cancelled(problem) : problem, operations.now()));
    }

    /** Whether someone asked the work to stop. */
    public boolean cancelRequested() {
        return cancelRequested.get();
    }

    boolean cancellable() {
        return cancel != null;
    }

    void cancel() {
        if (cancel == null || !cancelRequested.compareAndSet(false, true)) return;
        synchronized (this) {
            if (!ended()) save(current.at(current.progress(), "cancelling", operations.now()));
        }
        cancel.run();
    }

    private boolean ended() {
        return current.status() != Operation.Status.RUNNING;
    }

    private void save(Operation next) {
        current = next;
        operations.save(next);
    }
}
