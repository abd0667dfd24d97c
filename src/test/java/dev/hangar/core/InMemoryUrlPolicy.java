package dev.hangar.core;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The outbound policy for tests without a network: every URL is allowed, except those a test refuses by name. */
public final class InMemoryUrlPolicy implements UrlPolicy {
    private final Map<String, String> refusedFetches = new ConcurrentHashMap<>();
    private final Map<String, String> refusedDeliveries = new ConcurrentHashMap<>();

    /** Hangar must not fetch this URL, for this reason. */
    public InMemoryUrlPolicy refuseFetch(String url, String why) {
        refusedFetches.put(url, why);
        return this;
    }

    /** Hangar must not send callbacks to this URL, for this reason. */
    public InMemoryUrlPolicy refuseDelivery(String url, String why) {
        refusedDeliveries.put(url, why);
        return this;
    }

    @Override
    public Optional<String> fetchRefusal(String url) {
        return Optional.ofNullable(refusedFetches.get(url));
    }

    @Override
    public Optional<String> deliveryRefusal(String url) {
        return Optional.ofNullable(refusedDeliveries.get(url));
    }
}
