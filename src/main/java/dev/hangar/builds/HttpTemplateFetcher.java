package dev.hangar.builds;

import dev.hangar.core.HangarException;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.TemplateFetcher;
import dev.hangar.outbound.OutboundRefusedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Templates given by URL, fetched over HTTP(S): at most 1 MiB, the whole answer within 30 s. Redirects
 * and the outbound policy are the client's (Hangar's OutboundHttpClient): a refused URL or redirect is
 * {@code image-url-forbidden}. What comes is read by the reader it is given: the template language is
 * the Image Factory face's (TDL), not this fetcher's.
 */
public final class HttpTemplateFetcher implements TemplateFetcher {
    private static final int MAX_BYTES = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Reads bodies, so that a body that stops coming can be given up on (interrupting its reader). */
    private static final ExecutorService READERS = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http;
    private final Function<String, ImageTemplate> reader;

    public HttpTemplateFetcher(HttpClient http, Function<String, ImageTemplate> reader) {
        this.http = http;
        this.reader = reader;
    }

    @Override
    public ImageTemplate fetch(String url) {
        return reader.apply(text(url));
    }

    /** The document at the URL, as text. */
    String text(String url) {
        if (url == null || !url.matches("(?i)https?://\\S+")) throw failed(url, "not an http or https URL");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) throw failed(url, "HTTP " + r.statusCode());
                byte[] body = readWithin(in, deadline);
                if (body.length > MAX_BYTES) throw failed(url, "larger than " + MAX_BYTES + " bytes");
                return new String(body, StandardCharsets.UTF_8);
            }
        } catch (OutboundRefusedException e) {
            throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "the template at " + url + " is not fetched: " + e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw failed(url, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(url, "interrupted");
        }
    }

    /** Up to MAX_BYTES + 1 bytes of the body (one more tells it is too large), read by the deadline. */
    private static byte[] readWithin(InputStream in, long deadline) throws IOException, InterruptedException {
        Future<byte[]> read = READERS.submit(() -> in.readNBytes(MAX_BYTES + 1));
        try {
            return read.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            read.cancel(true);
            throw new IOException("the answer did not arrive within " + TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            read.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private static HangarException failed(String url, String why) {
        return HangarException.invalid("template-fetch-failed", "the template at " + url + " cannot be fetched: " + why);
    }
}
