package dev.hangar.builds.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.builds.FileCopy;
import dev.hangar.core.RedactedUrl;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small client of the OCI distribution API for one repository: blob uploads, manifests by tag or
 * digest, blob downloads and manifest deletes. Blobs stream from and to disk, hashed on the way, and
 * every digest is checked. Authentication follows the registry's 401 challenge: HTTP Basic with the
 * credentials, or the token flow (a Bearer token fetched from the challenge's realm with them).
 */
public final class OciRegistryClient {
    public static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(1);
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The registry answered with something else than the protocol's success, or broke a digest. */
    public static final class RegistryException extends IOException {
        private final int status;

        RegistryException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, or 0 when the failure was not an answer (a digest mismatch, ...). */
        public int status() { return status; }
    }

    private final HttpClient http;
    private final URI registry;
    private final String repository;
    private final String username;
    private final String password;
    /** The Authorization header value once a challenge was answered; null before (or without credentials). */
    private volatile String authorization;

    /**
     * @param registry the registry's base URL (http or https, no path)
     * @param username null for anonymous access
     */
    public OciRegistryClient(HttpClient http, URI registry, String repository, String username, String password) {
        this.http = http;
        this.registry = URI.create(registry.toString().replaceAll("/+$", "") + "/");
        this.repository = repository;
        this.username = username;
        this.password = password;
    }

    /** "sha256:" and the hex SHA-256 of the bytes. */
    public static String digest(byte[] content) {
        return "sha256:" + HexFormat.of().formatHex(FileCopy.sha256().digest(content));
    }

    /** True when the repository already holds the blob. */
    public boolean hasBlob(String digest) throws IOException {
        HttpResponse<byte[]> r = send(() -> request("blobs/" + digest).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        if (r.statusCode() == 200) return true;
        if (r.statusCode() == 404) return false;
        throw failure("checking for blob " + digest, r);
    }

    /** Uploads a small blob in one request (POST, then PUT with the digest and the body). */
    public void pushBlob(byte[] content, String digest) throws IOException {
        if (hasBlob(digest)) return;
        URI upload = startUpload();
        HttpResponse<byte[]> r = send(() -> HttpRequest.newBuilder(withDigest(upload, digest)).timeout(REQUEST_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)));
        if (r.statusCode() != 201) throw failure("uploading blob " + digest, r);
        checkDigestHeader(r.headers(), digest, "blob");
    }

    /**
     * Streams a file as a blob: POST opens an upload, one PATCH sends the file (hashed as it is read, so
     * the file is read once), and PUT closes it with the digest, which the registry checks too. Returns
     * the digest. bytesSent is told the bytes read so far; when cancelled() turns true the upload stops.
     */
    public String pushBlob(Path file, LongConsumer bytesSent, Supplier<Boolean> cancelled) throws IOException {
        long size = Files.size(file);
        URI upload = startUpload();
        MessageDigest sha256 = FileCopy.sha256();
        HttpResponse<byte[]> patched;
        try {
            // Sent once, never re-sent after a 401: startUpload has already answered any challenge.
            HttpRequest.Builder patch = HttpRequest.newBuilder(upload).version(HttpClient.Version.HTTP_1_1)
                    .header("Content-Type", "application/octet-stream");
            if (size > 0) patch.header("Content-Range", "0-" + (size - 1)); // one chunk: the whole file
            patched = sendOnce(patch
                    .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                            () -> new HashingInput(open(file), sha256, bytesSent, cancelled)), size)));
        } catch (IOException e) {
            abandon(upload);
            throw e;
        }
        if (patched.statusCode() != 202) {
            abandon(upload);
            throw failure("uploading " + file.getFileName(), patched);
        }
        String digest = "sha256:" + HexFormat.of().formatHex(sha256.digest());
        URI next = location(patched, upload);
        HttpResponse<byte[]> r = send(() -> HttpRequest.newBuilder(withDigest(next, digest)).timeout(REQUEST_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1).PUT(HttpRequest.BodyPublishers.noBody()));
        if (r.statusCode() != 201) {
            abandon(next);
            throw failure("completing the upload of " + file.getFileName(), r);
        }
        checkDigestHeader(r.headers(), digest, "blob");
        return digest;
    }

    /** PUTs a manifest under a tag (or digest) and returns its digest, as computed here and confirmed by the registry. */
    public String putManifest(String reference, byte[] manifest) throws IOException {
        String digest = digest(manifest);
        HttpResponse<byte[]> r = send(() -> request("manifests/" + reference).header("Content-Type", MANIFEST_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)));
        if (r.statusCode() != 201) throw failure("putting the manifest " + reference, r);
        checkDigestHeader(r.headers(), digest, "manifest");
        return digest;
    }

    /** The manifest by digest, checked against that digest. */
    public JsonNode manifest(String digest) throws IOException {
        HttpResponse<byte[]> r = send(() -> request("manifests/" + digest).header("Accept", MANIFEST_TYPE).GET());
        if (r.statusCode() != 200) throw failure("fetching the manifest " + digest, r);
        String actual = digest(r.body());
        if (!actual.equals(digest)) throw new RegistryException(0, "manifest " + digest + " arrived with digest " + actual);
        return JSON.readTree(r.body());
    }

    /**
     * Downloads a blob by digest into target (which must not exist), hashing as it streams; a blob whose
     * bytes do not match its digest is deleted and refused. A redirect (to a storage URL) is followed once,
     * without the registry's credentials.
     */
    public void downloadBlob(String digest, Path target) throws IOException {
        HttpResponse<InputStream> r = sendStreaming(() -> request("blobs/" + digest).GET(), true);
        if (r.statusCode() / 100 == 3) {
            URI to = location(r, registry);
            r.body().close();
            r = exchange(HttpRequest.newBuilder(to).version(HttpClient.Version.HTTP_1_1).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        }
        if (r.statusCode() != 200) {
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(4096);
            }
            throw failure("fetching blob " + digest, r.statusCode(), body);
        }
        Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
        MessageDigest sha256 = FileCopy.sha256();
        try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(partial)) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha256.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        String actual = "sha256:" + HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(digest)) {
            Files.deleteIfExists(partial);
            throw new RegistryException(0, "blob " + digest + " arrived with digest " + actual);
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes a manifest by digest. False when the registry does not allow deletes (405 or UNSUPPORTED); true when it is gone. */
    public boolean deleteManifest(String digest) throws IOException {
        HttpResponse<byte[]> r = send(() -> request("manifests/" + digest).DELETE());
        if (r.statusCode() == 202 || r.statusCode() == 200 || r.statusCode() == 404) return true;
        if (r.statusCode() == 405 || new String(r.body(), StandardCharsets.UTF_8).contains("UNSUPPORTED")) return false;
        throw failure("deleting the manifest " + digest, r);
    }

    private URI startUpload() throws IOException {
        HttpResponse<byte[]> r = send(() -> request("blobs/uploads/").POST(HttpRequest.BodyPublishers.noBody()));
        if (r.statusCode() != 202) throw failure("starting a blob upload", r);
        return location(r, registry);
    }

    /** Cancels an upload session the registry holds; best effort, its failure changes nothing. */
    private void abandon(URI upload) {
        try {
            sendOnce(HttpRequest.newBuilder(upload).timeout(REQUEST_TIMEOUT).version(HttpClient.Version.HTTP_1_1).DELETE());
        } catch (IOException | RuntimeException ignored) {
            // the registry expires abandoned uploads itself
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(registry.resolve("v2/" + repository + "/" + path)).timeout(REQUEST_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1);
    }

    /** Sends; on a 401 with a challenge it can answer, authenticates and sends once more. */
    private HttpResponse<byte[]> send(Supplier<HttpRequest.Builder> request) throws IOException {
        HttpResponse<byte[]> r = sendOnce(request.get());
        if (r.statusCode() == 401 && authenticate(r.headers())) r = sendOnce(request.get());
        return r;
    }

    private HttpResponse<InputStream> sendStreaming(Supplier<HttpRequest.Builder> request, boolean retryOn401) throws IOException {
        HttpResponse<InputStream> r = exchange(withAuth(request.get()).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() == 401 && retryOn401) {
            r.body().close();
            if (authenticate(r.headers())) return sendStreaming(request, false);
        }
        return r;
    }

    private HttpResponse<byte[]> sendOnce(HttpRequest.Builder request) throws IOException {
        return exchange(withAuth(request).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while talking to " + request.uri().getHost(), e);
        } catch (UncheckedIOException e) {
            throw e.getCause(); // opening the body's file failed
        }
    }

    private HttpRequest.Builder withAuth(HttpRequest.Builder request) {
        String a = authorization;
        if (a != null) request.header("Authorization", a);
        return request;
    }

    /**
     * Answers a 401's challenge: Basic takes the credentials as they are; Bearer fetches a token from the
     * realm (with the credentials, if any) for the scope the registry named, or pull and push on this
     * repository. False when there is nothing to answer with (then the 401 stands).
     */
    private synchronized boolean authenticate(HttpHeaders headers) throws IOException {
        Optional<String> challenge = headers.firstValue("WWW-Authenticate");
        if (challenge.isEmpty()) return false;
        String c = challenge.get().trim();
        String scheme = c.split("\\s+", 2)[0].toLowerCase(java.util.Locale.ROOT);
        String basic = username == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        String before = authorization;
        if (scheme.equals("basic")) {
            if (basic == null || basic.equals(before)) return false; // no credentials, or these were refused already
            authorization = basic;
            return true;
        }
        if (!scheme.equals("bearer")) return false;
        Map<String, String> params = new HashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(c);
        while (m.find()) params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        String realm = params.get("realm");
        if (realm == null) return false;
        URI realmUri = acceptableRealm(realm);
        String scope = params.getOrDefault("scope", "repository:" + repository + ":pull,push");
        StringBuilder url = new StringBuilder(realmUri.toString()).append(realm.contains("?") ? '&' : '?').append("scope=").append(enc(scope));
        if (params.containsKey("service")) url.append("&service=").append(enc(params.get("service")));
        HttpRequest.Builder tokenRequest = HttpRequest.newBuilder(URI.create(url.toString())).timeout(REQUEST_TIMEOUT).GET();
        if (basic != null) tokenRequest.header("Authorization", basic);
        HttpResponse<byte[]> r = exchange(tokenRequest.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw failure("fetching a token from " + RedactedUrl.of(realm), r);
        JsonNode token = JSON.readTree(r.body());
        String value = token.path("token").asText(token.path("access_token").asText(""));
        if (value.isEmpty()) throw new RegistryException(r.statusCode(), "the token service " + RedactedUrl.of(realm) + " answered no token");
        String bearer = "Bearer " + value;
        if (bearer.equals(before)) return false; // the same token was refused: retrying changes nothing
        authorization = bearer;
        return true;
    }

    /**
     * The realm a Bearer challenge names, if Hangar may send the registry's credentials there: an https
     * URL (any host: a registry's token service often has a host of its own), or plain http only where
     * the registry itself is plain http on the same host. Anything else would hand the credentials, in
     * the clear or to a stranger, to whoever wrote the challenge. (Every request, this one too, also
     * passes the outbound policy in the HTTP client.)
     */
    URI acceptableRealm(String realm) throws RegistryException {
        URI uri;
        try {
            uri = new URI(realm);
        } catch (java.net.URISyntaxException e) {
            throw new RegistryException(0, "the registry's token realm is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        boolean sameHost = uri.getHost() != null && uri.getHost().equalsIgnoreCase(registry.getHost());
        boolean plainRegistry = "http".equalsIgnoreCase(registry.getScheme());
        if (uri.getHost() == null || uri.getRawUserInfo() != null
                || !(scheme.equals("https") || scheme.equals("http") && plainRegistry && sameHost)) {
            throw new RegistryException(0, "the registry " + RedactedUrl.of(registry) + " named the token realm " + RedactedUrl.of(realm)
                    + ", which is refused: a realm must be https, or plain http only on the host of a plain-http registry");
        }
        return uri;
    }

    private static URI location(HttpResponse<?> r, URI base) throws IOException {
        String location = r.headers().firstValue("Location")
                .orElseThrow(() -> new RegistryException(r.statusCode(), "the registry answered " + r.statusCode() + " without a Location"));
        return base.resolve(location);
    }

    private static URI withDigest(URI upload, String digest) {
        String u = upload.toString();
        return URI.create(u + (u.contains("?") ? "&" : "?") + "digest=" + enc(digest));
    }

    private static void checkDigestHeader(HttpHeaders headers, String expected, String what) throws RegistryException {
        Optional<String> said = headers.firstValue("Docker-Content-Digest");
        if (said.isPresent() && !said.get().equals(expected)) {
            throw new RegistryException(0, "the registry stored the " + what + " as " + said.get() + ", not " + expected);
        }
    }

    private RegistryException failure(String doing, HttpResponse<byte[]> r) {
        return failure(doing, r.statusCode(), r.body());
    }

    /**
     * A failure as it may be shown to anyone who reads the build: the status, the registry's URL without
     * its secrets and a short reason of ours, never the body the server sent (it may echo what it was
     * sent, or say anything). A registry's own error code (OCI's {@code DENIED}, {@code NAME_UNKNOWN}) is
     * kept: it is a word from a fixed list, no text.
     */
    private RegistryException failure(String doing, int status, byte[] body) {
        String why = switch (status) {
            case 401 -> username == null ? "the registry requires credentials" : "the registry refused the credentials";
            case 403 -> "access denied";
            default -> "HTTP " + status;
        };
        String code = errorCode(body);
        return new RegistryException(status, doing + " at " + RedactedUrl.of(registry) + repository + " failed: " + why
                + (code == null ? "" : " (" + code + ")"));
    }

    /** The first OCI error code of an error body ({@code {"errors": [{"code": "DENIED", ...}]}}), if it is one. */
    static String errorCode(byte[] body) {
        if (body == null || body.length == 0) return null;
        try {
            String code = JSON.readTree(body).path("errors").path(0).path("code").asText("");
            return code.matches("[A-Z_]{1,40}") ? code : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static InputStream open(Path file) {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The upload's body: hashes what it reads, counts it, and fails the read once the push is cancelled. */
    private static final class HashingInput extends FilterInputStream {
        private final MessageDigest sha256;
        private final LongConsumer bytesSent;
        private final Supplier<Boolean> cancelled;
        private long sent;

        HashingInput(InputStream in, MessageDigest sha256, LongConsumer bytesSent, Supplier<Boolean> cancelled) {
            super(in);
            this.sha256 = sha256;
            this.bytesSent = bytesSent;
            this.cancelled = cancelled;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (cancelled.get()) throw new IOException("upload cancelled");
            int n = in.read(b, off, len);
            if (n > 0) {
                sha256.update(b, off, n);
                sent += n;
                bytesSent.accept(sent);
            }
            return n;
        }
    }
}
