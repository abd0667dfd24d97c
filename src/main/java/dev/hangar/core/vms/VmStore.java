package dev.hangar.core.vms;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Where VM records live. Every write is committed before it returns. */
public interface VmStore {
    /** Inserts a new record; HangarException vm-name-taken when its name is in use. */
    void insert(Vm vm);

    /** Replaces the stored record; false when it is gone (deleted meanwhile). */
    boolean update(Vm vm);

    Optional<Vm> find(UUID id);

    Optional<Vm> findByName(String name);

    /** All VMs, newest first. */
    List<Vm> all();

    boolean macInUse(String mac);

    /** Ids of VMs whose creation has not reported yet: it waits for the address, then calls back. */
    List<UUID> awaitingAddress();

    /** Marks the VM's creation as reported (new VMs start out awaiting their address). */
    void reported(UUID id);

    void delete(UUID id);
}
