package dev.hangar.core.builds;

/** How long work reports how far it got, and learns that it was cancelled. */
public interface BuildProgress {
    /** percent is of this step's own work, 0 to 100; activity says what it does now ("installing packages"). */
    void report(int percent, String activity);

    /** True once the build was cancelled: the work stops at its next check and throws build-cancelled. */
    boolean cancelled();
}
