package dev.hangar.api.imagefactory;

import dev.hangar.callbacks.CallbackDispatcher;
import dev.hangar.core.builds.BuildNotifier;
import dev.hangar.core.builds.FactoryImage;
import java.time.Duration;

/**
 * Image Factory's {@code parameters.callbacks}: each URL gets a PUT of the wrapped image JSON when the
 * image's status changes. Sent through the callback outbox the VM callbacks use (so they survive a
 * restart, are signed and retried alike), which delivers one image's PUTs to a URL in the order of its
 * changes (a retried one before any newer), so the last a client gets is its latest state. The outbound
 * policy is checked when each is sent (the core refused forbidden URLs at the POST already).
 */
public final class BuildCallbacks implements BuildNotifier {
    private final CallbackDispatcher callbacks;
    private final String baseUrl;
    private final Duration retryFor;

    /** @param baseUrl how the service is reached, for the hrefs in the body ({@code http://host:port}) */
    public BuildCallbacks(CallbackDispatcher callbacks, String baseUrl, Duration retryFor) {
        this.callbacks = callbacks;
        this.baseUrl = baseUrl;
        this.retryFor = retryFor;
    }

    @Override
    public void changed(FactoryImage image) {
        String body = FactoryJson.wrapped(baseUrl, image).toString();
        for (String url : image.callbacks()) callbacks.send(image.id().toString(), url, "PUT", body, retryFor);
    }
}
