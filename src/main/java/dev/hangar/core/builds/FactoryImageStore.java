package dev.hangar.core.builds;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Where the image factory's images live. */
public interface FactoryImageStore {
    void save(FactoryImage image);

    Optional<FactoryImage> find(UUID id);

    /** Every image, oldest first. */
    List<FactoryImage> all();

    void delete(UUID id);
}
