package dev.hangar.core.networks;

import java.util.List;
import java.util.Optional;

/** Where defined networks live (the built-in ones come from settings). */
public interface NetworkStore {
    /** Inserts a new network; HangarException network-exists when the name is taken. */
    void insert(Network network);

    Optional<Network> find(String name);

    /** Every defined network, oldest first. */
    List<Network> all();

    void delete(String name);
}
