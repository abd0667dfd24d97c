package dev.hangar.builds.providers;

import dev.hangar.builds.BuildErrors;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ProviderPublisher;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Several publishers as one: each provider goes to the publisher of its type; an unknown type is 400 invalid-provider. */
public final class ProviderPublishers implements ProviderPublisher {
    private final Map<String, ProviderPublisher> byType = new LinkedHashMap<>();

    public ProviderPublishers(List<ProviderPublisher> publishers) {
        for (ProviderPublisher p : publishers) {
            for (String type : p.providers()) {
                if (byType.putIfAbsent(type, p) != null) throw new IllegalArgumentException("two publishers for provider type " + type);
            }
        }
    }

    @Override
    public Set<String> providers() {
        return Set.copyOf(byType.keySet());
    }

    private ProviderPublisher of(Provider provider) {
        ProviderPublisher p = provider.type() == null ? null : byType.get(provider.type());
        if (p == null) throw BuildErrors.invalidProvider("type", "unknown provider type " + provider.type() + "; the types are " + String.join(", ", byType.keySet()));
        return p;
    }

    @Override
    public void check(Provider provider) {
        of(provider).check(provider);
    }

    @Override
    public Published publish(Path file, String target, String id, Provider provider, BuildProgress progress) {
        return of(provider).publish(file, target, id, provider, progress);
    }

    @Override
    public void unpublish(Published published, Provider provider) {
        of(provider).unpublish(published, provider);
    }

    @Override
    public void abandon(String id, Provider provider) {
        ProviderPublisher p = provider == null || provider.type() == null ? null : byType.get(provider.type());
        if (p != null) p.abandon(id, provider);
    }
}
