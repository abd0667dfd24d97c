package dev.hangar.images;

import dev.hangar.core.ChecksumType;
import dev.hangar.core.HangarException;
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
import java.util.Set;

/** Opens an image URL for one streaming read. */
final class Download {
    private static final int MAX_REDIRECTS = 10;
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    /** How long to wait for the response headers; the body then streams for as long as it takes. */
    private static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(2);

    private Download() {}

    /**
     * Sends the GET and returns its body, ready to be read once. Redirects are followed here rather than
     * left to the client, because the caller's HttpClient may have been built with {@code Redirect.NEVER}
     * (the default of {@code HttpClient.newHttpClient()}).
     */
    static DownloadStream open(HttpClient http, String url, ChecksumType checksumType, long maxBytes) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw ImageFailures.downloadFailed("image URL is not a valid URI: " + url);
        }
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            requireHttp(uri);
            HttpResponse<InputStream> response = send(http, uri);
            int status = response.statusCode();
            var location = response.headers().firstValue("location");
            if (REDIRECTS.contains(status) && location.isPresent()) {
                close(response.body());
                try {
                    uri = uri.resolve(location.get());
                } catch (IllegalArgumentException e) {
                    throw ImageFailures.downloadFailed("GET " + uri + " redirected to an invalid URI: " + location.get());
                }
                continue;
            }
            if (status < 200 || status > 299) {
                close(response.body());
                throw ImageFailures.downloadFailed("GET " + uri + " answered HTTP " + status);
            }
            long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
            if (declared > maxBytes) {
                close(response.body());
                throw ImageFailures.tooLarge("GET " + uri + " would download " + declared
                        + " bytes, more than the limit of " + maxBytes);
            }
            return new DownloadStream(response.body(), uri, digest(checksumType), maxBytes);
        }
        throw ImageFailures.downloadFailed("GET " + url + " redirected more than " + MAX_REDIRECTS + " times");
    }

    private static HttpResponse<InputStream> send(HttpClient http, URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(HEADERS_TIMEOUT)
                .header("User-Agent", "hangar").build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw ImageFailures.downloadFailed("GET " + uri + " failed: " + ImageFailures.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ImageFailures.downloadFailed("GET " + uri + " was interrupted");
        }
    }

    private static void requireHttp(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw ImageFailures.downloadFailed("only http and https images can be fetched, not " + uri);
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

    private static void close(InputStream body) {
        try {
            body.close();
        } catch (IOException ignored) {
            // releasing the connection only
        }
    }
}
