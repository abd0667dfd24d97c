package dev.hangar.images;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.outbound.OutboundRefusedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** Opens an image URL for one streaming read. */
final class Download {
    /** How long to wait for the response headers; the body then streams for as long as it takes. */
    private static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(2);
    /** How long a body may go without a byte before the download fails, unless the caller says otherwise. */
    static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    private Download() {}

    /** Sends the GET and returns its body, ready to be read once. */
    static DownloadStream open(HttpClient http, String url, ChecksumType checksumType, long maxBytes, Duration stallTimeout) {
        HttpResponse<InputStream> response = get(http, url, Map.of());
        URI uri = response.uri();
        if (response.statusCode() < 200 || response.statusCode() > 299) {
            close(response.body());
            throw ImageFailures.downloadFailed("GET " + uri + " answered HTTP " + response.statusCode());
        }
        return body(response, checksumType, maxBytes, stallTimeout);
    }

    /** The response's body as a DownloadStream, after checking its declared length against the limit. */
    static DownloadStream body(HttpResponse<InputStream> response, ChecksumType checksumType, long maxBytes, Duration stallTimeout) {
        long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
        if (declared > maxBytes) {
            close(response.body());
            throw ImageFailures.tooLarge("GET " + response.uri() + " would download " + declared
                    + " bytes, more than the limit of " + maxBytes);
        }
        DownloadStream stream = new DownloadStream(response.body(), response.uri(), digest(checksumType), maxBytes, stallTimeout);
        stream.declaredLength = declared;
        return stream;
    }

    /**
     * Sends the GET with these extra headers; returns the final response, whatever its status, with its
     * body unread (the caller closes it). Redirects are the client's to follow: Hangar's
     * {@link dev.hangar.outbound.OutboundHttpClient} follows them, checking every hop against the
     * outbound policy; a refused hop is {@code image-url-forbidden}.
     */
    static HttpResponse<InputStream> get(HttpClient http, String url, Map<String, String> headers) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw ImageFailures.downloadFailed("URL is not a valid URI: " + url);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw ImageFailures.downloadFailed("only http and https images can be fetched, not " + uri);
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).GET().timeout(HEADERS_TIMEOUT).header("User-Agent", "hangar");
        headers.forEach(builder::header);
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (OutboundRefusedException e) {
            throw ImageFailures.forbidden("GET " + uri + " refused: " + e.getMessage());
        } catch (IOException e) {
            if (ImageFailures.isTls(e)) {
                throw ImageFailures.tlsFailed("GET " + uri + " failed in TLS: " + ImageFailures.describe(e)
                        + " (a server whose certificate a private CA signed needs that CA in --ca-bundle)");
            }
            throw ImageFailures.downloadFailed("GET " + uri + " failed: " + ImageFailures.describe(e));
        } catch (IllegalArgumentException e) {
            throw ImageFailures.downloadFailed("GET " + uri + " cannot be sent: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ImageFailures.downloadFailed("GET " + uri + " was interrupted");
        }
    }

    private static MessageDigest digest(ChecksumType type) {
        try {
            return MessageDigest.getInstance(type.algorithm());
        } catch (NoSuchAlgorithmException e) {
            // Every JDK must provide MD5, SHA-1 and SHA-256; SHA-512 is in every JDK we run on.
            throw new HangarException(HangarException.Kind.INTERNAL, "image-store-failed",
                    "this JVM has no " + type.algorithm() + " digest", e);
        }
    }

    static void close(InputStream body) {
        try {
            body.close();
        } catch (IOException ignored) {
            // releasing the connection only
        }
    }
}
