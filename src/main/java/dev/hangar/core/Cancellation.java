package dev.hangar.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Said by whoever no longer wants a piece of work (a VM deleted while it is being created); the parts
 * doing the work listen, and stop what only they wanted (a download nobody else waits for).
 */
public final class Cancellation {
    /** Work nobody can call off. */
    public static final Cancellation NEVER = new Cancellation();

    /** A listener, until it is removed. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private final List<Runnable> listeners = new ArrayList<>();
    private boolean cancelled;

    public synchronized boolean isCancelled() {
        return cancelled;
    }

    /** Calls the work off: every listener runs once, on this thread. Later calls do nothing. */
    public void cancel() {
        if (this == NEVER) throw new IllegalStateException("Cancellation.NEVER cannot be cancelled");
        List<Runnable> run;
        synchronized (this) {
            if (cancelled) return;
            cancelled = true;
            run = List.copyOf(listeners);
            listeners.clear();
        }
        run.forEach(Runnable::run);
    }

    /** Runs action when the work is called off (at once, if it was already); closing the registration removes it. */
    public Registration onCancel(Runnable action) {
        if (this == NEVER) return () -> { }; // nothing to hear: every uncancellable caller need not queue on one lock
        synchronized (this) {
            if (!cancelled) {
                listeners.add(action);
                return () -> {
                    synchronized (this) {
                        listeners.remove(action);
                    }
                };
            }
        }
        action.run();
        return () -> { };
    }
}
