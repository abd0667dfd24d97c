package dev.hangar.core.vms;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM store, telling watchers of every record written or removed. Every change of a VM goes through
 * the store, so watchers see all of them (the group reconciler wakes on its members' changes instead
 * of polling). Watchers run on the writer's thread: they must only note the change and return.
 */
final class WatchedVmStore implements VmStore {
    private static final Logger log = LoggerFactory.getLogger(WatchedVmStore.class);

    private final VmStore store;
    private final List<Consumer<Vm>> watchers = new CopyOnWriteArrayList<>();

    WatchedVmStore(VmStore store) {
        this.store = store;
    }

    void watch(Consumer<Vm> watcher) {
        watchers.add(watcher);
    }

    private void changed(Vm vm) {
        for (Consumer<Vm> w : watchers) {
            try {
                w.accept(vm);
            } catch (RuntimeException e) {
                log.warn("a VM watcher failed on {}: {}", vm.id(), e.toString());
            }
        }
    }

    @Override
    public void insert(Vm vm) {
        store.insert(vm);
        changed(vm);
    }

    @Override
    public boolean update(Vm vm) {
        boolean updated = store.update(vm);
        if (updated) changed(vm);
        return updated;
    }

    /** Watchers see the last record of a deleted VM, with status deleting. */
    @Override
    public void delete(UUID id) {
        Optional<Vm> last = store.find(id);
        store.delete(id);
        last.ifPresent(vm -> changed(vm.withStatus(VmStatus.DELETING)));
    }

    @Override
    public Optional<Vm> find(UUID id) { return store.find(id); }

    @Override
    public Optional<Vm> findByName(String name) { return store.findByName(name); }

    @Override
    public List<Vm> all() { return store.all(); }

    @Override
    public boolean macInUse(String mac) { return store.macInUse(mac); }

    @Override
    public List<UUID> awaitingAddress() { return store.awaitingAddress(); }

    @Override
    public void reported(UUID id) { store.reported(id); }
}
