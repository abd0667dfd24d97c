package dev.hangar.core.networks;

import java.time.Duration;

/**
 * A watch on the DHCP leases of some networks, begun before the watcher looks at them, so that no
 * change between a look and the wait is missed: {@link #await} returns as soon as one changed (or
 * already had since the last wait), or when the time is up.
 */
public interface LeaseChanges extends AutoCloseable {
    /** Waits up to max for a change; returns at once if one came since the last wait. */
    void await(Duration max) throws InterruptedException;

    @Override
    void close();

    /** For networks whose leases nobody here can watch: every wait lasts its whole time. */
    static LeaseChanges none() {
        return new LeaseChanges() {
            @Override
            public void await(Duration max) throws InterruptedException {
                Thread.sleep(max);
            }

            @Override
            public void close() { }
        };
    }
}
