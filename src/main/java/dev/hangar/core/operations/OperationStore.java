package dev.hangar.core.operations;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Where operations live, so they can be listed and watched after a restart. */
public interface OperationStore {
    /** Inserts or replaces the operation. */
    void save(Operation op);

    Optional<Operation> find(UUID id);

    /** The newest first, at most limit. */
    List<Operation> recent(int limit);
}
