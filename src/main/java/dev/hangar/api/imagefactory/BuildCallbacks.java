package dev.hangar.api.imagefactory;

import dev.hangar.core.RedactedUrl;
import dev.hangar.core.builds.BuildNotifier;
import dev.hangar.core.builds.FactoryImage;
import dev.hangar.outbound.OutboundRefusedException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image Factory's {@code parameters.callbacks}: each URL gets a PUT of the wrapped image JSON when the
 * image's status changes. Each URL has its own queue, so its PUTs arrive in the order the changes
 * happened and a slow receiver holds up only itself; each is tried three times, and a lost one is
 * logged (clients poll as well). The client checks each URL against the outbound policy when it sends
 * (the core refused forbidden ones at POST already); a refused one is logged and not retried.
 */
public final class BuildCallbacks implements BuildNotifier {
    private static final Logger log = LoggerFactory.getLogger(BuildCallbacks.class);
    private final HttpClient http;
    private final String baseUrl;
    private final java.util.Map<String, java.util.concurrent.ExecutorService> queues = new java.util.concurrent.ConcurrentHashMap<>();

    /** @param baseUrl how the service is reached, for the hrefs in the body ({@code http://host:port}) */
    public BuildCallbacks(HttpClient http, String baseUrl) {
        this.http = http;
        this.baseUrl = baseUrl;
    }

    @Override
    public void changed(FactoryImage image) {
        byte[] body = FactoryJson.wrapped(baseUrl, image).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (String url : image.callbacks()) {
            queues.computeIfAbsent(url, u -> java.util.concurrent.Executors.newSingleThreadExecutor(Thread.ofVirtual().factory())).submit(() -> {
                for (int attempt = 1; attempt <= 3; attempt++) {
                    try {
                        // The answer's body is never read: the timeout covers only its headers, and a slow body would hold up this URL's queue.
                        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                HttpResponse.BodyHandlers.ofInputStream());
                        r.body().close();
                        if (r.statusCode() < 500) return;
                    } catch (OutboundRefusedException e) {
                        log.warn("callback to {} for image {} not sent: {}", RedactedUrl.of(url), image.id(), RedactedUrl.inText(e.getMessage()));
                        return;
                    } catch (java.io.IOException | IllegalArgumentException e) {
                        log.debug("callback to {} failed: {}", RedactedUrl.of(url), RedactedUrl.inText(e.toString()));
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        Thread.sleep(Duration.ofSeconds(attempt));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                log.warn("callback to {} for image {} ({}) not delivered", RedactedUrl.of(url), image.id(), image.status());
            });
        }
    }
}
