package dev.hangar.builds;

import dev.hangar.core.HangarException;
import dev.hangar.core.ports.TemplateFetcher;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Templates given by URL, fetched over HTTP(S): at most 1 MiB, within 30 s. */
public final class HttpTemplateFetcher implements TemplateFetcher {
    private static final int MAX_BYTES = 1 << 20;
    private final HttpClient http;

    public HttpTemplateFetcher(HttpClient http) {
        this.http = http;
    }

    @Override
    public String fetch(String url) {
        if (url == null || !url.matches("(?i)https?://\\S+")) throw failed(url, "not an http or https URL");
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) throw failed(url, "HTTP " + r.statusCode());
                byte[] body = in.readNBytes(MAX_BYTES + 1);
                if (body.length > MAX_BYTES) throw failed(url, "larger than " + MAX_BYTES + " bytes");
                return new String(body, StandardCharsets.UTF_8);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw failed(url, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(url, "interrupted");
        }
    }

    private static HangarException failed(String url, String why) {
        return HangarException.invalid("template-fetch-failed", "the template at " + url + " cannot be fetched: " + why);
    }
}
