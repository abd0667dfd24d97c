package dev.hangar.core.vms;

import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/** One lock per VM, held while a job, a start or a delete changes the machine, so they never interleave. */
final class VmLocks {
    private final ConcurrentHashMap<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();

    <T> T with(UUID id, Supplier<T> work) {
        ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    /** Runs work only if nobody holds the VM's lock right now; false when it was skipped. */
    boolean ifFree(UUID id, Runnable work) {
        ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
        if (!lock.tryLock()) return false;
        try {
            work.run();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the lock of a deleted VM. */
    void forget(UUID id) {
        locks.remove(id);
    }
}
