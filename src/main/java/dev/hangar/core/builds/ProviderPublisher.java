package dev.hangar.core.builds;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** Pushes a target image to a provider: where images are kept and used from. */
public interface ProviderPublisher {
    /** A provider and its settings: type (hangar, oci, directory), its definition's settings and the credentials. */
    record Provider(String type, Map<String, String> settings, Map<String, String> credentials) {
        public Provider {
            settings = Map.copyOf(settings == null ? Map.of() : settings);
            credentials = Map.copyOf(credentials == null ? Map.of() : credentials);
        }
    }

    /**
     * Where the image went: an identifier in the provider (a URL, a digest reference, a path) and what
     * a user needs to use it (for hangar: url, checksum, checksum_type, ready for a /vms body).
     */
    record Published(String identifier, Map<String, String> properties) {
        public Published {
            properties = Map.copyOf(properties);
        }
    }

    Set<String> providers();

    /** Checks a provider's settings and credentials before anything is pushed; 400 invalid-provider otherwise. */
    void check(Provider provider);

    /**
     * Blocking. Pushes the file (a target image of that target) under the id, which names it in the
     * provider where it needs a name. Throws HangarException (push-failed, build-cancelled).
     */
    Published publish(Path file, String target, String id, Provider provider, BuildProgress progress);

    /** Removes what publish made, where the provider allows it (DELETE of a provider image). */
    void unpublish(Published published, Provider provider);

    /**
     * Removes whatever a publish under the id that never finished may have left (a restart cut it off, or
     * it failed): the push has no record of being done, so nothing of it may stay. Nothing there is fine.
     */
    default void abandon(String id, Provider provider) {}
}
