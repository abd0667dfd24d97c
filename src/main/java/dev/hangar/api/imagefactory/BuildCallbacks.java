package dev.hangar.api.imagefactory;

import dev.hangar.callbacks.CallbackDispatcher;
import dev.hangar.core.builds.BuildNotifier;
import dev.hangar.core.builds.FactoryImage;
import dev.hangar.store.CallbackOutbox;
import java.time.Clock;
import java.time.Duration;

/**
 * Image Factory's {@code parameters.callbacks}: each URL gets a PUT of the wrapped image JSON when the
 * image's status changes. Written to the same outbox as the VM callbacks (so they survive a restart, are
 * signed and retried alike) and handed to its dispatcher, which sends one image's PUTs to a URL in the
 * order of its changes (a retried one before any newer), so the last a client gets is its latest state. The outbound
 * policy is checked when each is sent (the core refused forbidden URLs at the POST already).
 */
public final class BuildCallbacks implements BuildNotifier {
    private final CallbackOutbox outbox;
    private final CallbackDispatcher dispatcher;
    private final String baseUrl;
    private final Duration retryFor;
    private final Clock clock;

    /** @param baseUrl how the service is reached, for the hrefs in the body ({@code http://host:port}) */
    public BuildCallbacks(CallbackOutbox outbox, CallbackDispatcher dispatcher, String baseUrl, Duration retryFor, Clock clock) {
        this.outbox = outbox;
        this.dispatcher = dispatcher;
        this.baseUrl = baseUrl;
        this.retryFor = retryFor;
        this.clock = clock;
    }

    @Override
    public void changed(FactoryImage image) {
        String body = FactoryJson.wrapped(baseUrl, image).toString();
        for (String url : image.callbacks()) {
            outbox.enqueue(image.id().toString(), url, "PUT", body, clock.instant(), retryFor);
        }
        if (!image.callbacks().isEmpty()) dispatcher.wake();
    }
}
