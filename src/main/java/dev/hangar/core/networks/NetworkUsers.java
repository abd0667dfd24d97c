package dev.hangar.core.networks;

import java.util.List;

/** Who has a NIC on a network (VMs, by name or id): a network in use is not deleted. */
@FunctionalInterface
public interface NetworkUsers {
    List<String> of(String network);
}
