package dev.hangar.builds.providers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.builds.BuildErrors;
import dev.hangar.builds.ProgressSpan;
import dev.hangar.builds.targets.Target;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ProviderPublisher;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code oci} provider: pushes a target image to an OCI distribution registry as an artifact, an OCI
 * image manifest with {@code artifactType application/vnd.hangar.disk.v1}, the empty config, and one
 * layer: the image file, typed {@code application/vnd.hangar.disk.<format>} (qcow2, vhdx, ova, ...) and
 * titled with its file name, as ORAS and other artifact tools expect.
 *
 * <p>Settings: {@code registry} (an http or https URL, no path), {@code repository}, {@code tag} (default:
 * the provider image's id). Credentials {@code username} and {@code password}, optional, used for HTTP
 * Basic or the registry token flow, whichever the registry asks for.
 */
public final class OciProvider implements ProviderPublisher {
    public static final String TYPE = "oci";
    public static final String ARTIFACT_TYPE = "application/vnd.hangar.disk.v1";
    public static final String LAYER_TYPE_PREFIX = "application/vnd.hangar.disk.";
    public static final String EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json";
    static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.UTF_8);
    private static final Logger log = LoggerFactory.getLogger(OciProvider.class);
    /** The distribution spec's repository name grammar (path components of lowercase words). */
    private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final UrlPolicy urls;

    /** @param urls refuses, when a build is asked for, a registry Hangar must not push to (the client checks every request again) */
    public OciProvider(HttpClient http, UrlPolicy urls) {
        this.http = http;
        this.urls = urls;
    }

    @Override
    public Set<String> providers() {
        return Set.of(TYPE);
    }

    @Override
    public void check(Provider provider) {
        BuildErrors.requireType(TYPE, provider);
        URI registry = registry(provider);
        urls.deliveryRefusal(registry.toString())
                .ifPresent(why -> { throw BuildErrors.invalidProvider("registry", "Hangar does not push there: " + why); });
        String repository = provider.settings().get("repository");
        if (repository == null || repository.isBlank()) throw BuildErrors.invalidProvider("repository", "is required");
        if (repository.length() > 255 || !REPOSITORY.matcher(repository).matches()) {
            throw BuildErrors.invalidProvider("repository", repository + " is not a repository name (lowercase letters, digits, separators, '/')");
        }
        String tag = provider.settings().get("tag");
        if (tag != null && !TAG.matcher(tag).matches()) throw BuildErrors.invalidProvider("tag", tag + " is not a tag (up to 128 of letters, digits, '.', '_', '-')");
        String username = provider.credentials().get("username");
        String password = provider.credentials().get("password");
        if ((username == null) != (password == null)) {
            throw BuildErrors.invalidProvider(username == null ? "username" : "password", "is required with the " + (username == null ? "password" : "username"));
        }
        if (username != null && (username.isEmpty() || username.contains(":"))) throw BuildErrors.invalidProvider("username", "must be non-empty and without ':'");
    }

    /** The registry URL: http or https, a host, no user, path, query or fragment. */
    private static URI registry(Provider provider) {
        String value = provider.settings().get("registry");
        if (value == null || value.isBlank()) throw BuildErrors.invalidProvider("registry", "is required: the registry's URL, e.g. https://registry.example.org");
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw BuildErrors.invalidProvider("registry", value + " is not a URL");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) throw BuildErrors.invalidProvider("registry", value + " is not an http or https URL");
        if (uri.getHost() == null) throw BuildErrors.invalidProvider("registry", value + " names no host");
        if (uri.getRawUserInfo() != null) throw BuildErrors.invalidProvider("registry", "credentials go in username and password, not the URL");
        if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw BuildErrors.invalidProvider("registry", value + " must be the registry's root, without a path or query");
        }
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    private OciRegistryClient client(Provider provider) {
        return new OciRegistryClient(http, registry(provider), provider.settings().get("repository"),
                provider.credentials().get("username"), provider.credentials().get("password"));
    }

    /** The media type of a target's layer: application/vnd.hangar.disk.qcow2 and so on. */
    public static String layerType(String target) {
        return LAYER_TYPE_PREFIX + Target.find(target).map(Target::format).orElse("bin");
    }

    @Override
    public Published publish(Path file, String target, String id, Provider provider, BuildProgress progress) {
        check(provider);
        String tag = provider.settings().getOrDefault("tag", id);
        if (tag == null || !TAG.matcher(tag).matches()) throw BuildErrors.invalidProvider("tag", "is required: the id " + id + " is no tag");
        URI registry = registry(provider);
        String repository = provider.settings().get("repository");
        OciRegistryClient client = client(provider);
        ProgressSpan upload = new ProgressSpan(progress, 0, 95);
        String name = file.getFileName().toString();
        try {
            long size = Files.size(file);
            upload.report(0, "pushing " + name);
            String layerDigest = client.pushBlob(file, sent -> upload.reportBytes(sent, size, "pushing " + name), progress::cancelled);
            if (progress.cancelled()) throw BuildErrors.cancelled("pushing " + name);
            client.pushBlob(EMPTY_CONFIG, OciRegistryClient.digest(EMPTY_CONFIG));
            byte[] manifest = manifest(layerType(target), layerDigest, size, name);
            String digest = client.putManifest(tag, manifest);
            progress.report(100, "pushed " + name);
            String host = registry.getRawAuthority();
            log.info("pushed {} to {}/{}:{} as {}", file, host, repository, tag, digest);
            return new Published(host + "/" + repository + "@" + digest, Map.of(
                    "digest", digest,
                    "reference", host + "/" + repository + ":" + tag,
                    "size", Long.toString(size),
                    "media_type", layerType(target),
                    "layer_digest", layerDigest));
        } catch (IOException e) {
            if (progress.cancelled()) throw BuildErrors.cancelled("pushing " + name);
            throw BuildErrors.pushFailed("pushing " + name + " to " + registry + "/" + repository + ":" + tag + " failed: " + e.getMessage(), e);
        }
    }

    /** The artifact's manifest: empty config, one layer with the file's title, and a creation time. */
    static byte[] manifest(String layerType, String layerDigest, long size, String title) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", OciRegistryClient.MANIFEST_TYPE);
        m.put("artifactType", ARTIFACT_TYPE);
        ObjectNode config = m.putObject("config");
        config.put("mediaType", EMPTY_CONFIG_TYPE);
        config.put("digest", OciRegistryClient.digest(EMPTY_CONFIG));
        config.put("size", EMPTY_CONFIG.length);
        config.put("data", "e30="); // the config inline (base64 of "{}"), as the OCI guidance for the empty descriptor has it
        ObjectNode layer = m.putArray("layers").addObject();
        layer.put("mediaType", layerType);
        layer.put("digest", layerDigest);
        layer.put("size", size);
        layer.putObject("annotations").put("org.opencontainers.image.title", title);
        m.putObject("annotations").put("org.opencontainers.image.created", Instant.now().toString());
        return JSON.writeValueAsBytes(m);
    }

    /** Deletes the manifest by digest; a registry that does not allow deletes is logged and left as it is. */
    @Override
    public void unpublish(Published published, Provider provider) {
        check(provider);
        String digest = published.properties().get("digest");
        if (digest == null || !DIGEST.matcher(digest).matches()) throw BuildErrors.pushFailed("no manifest digest to delete: " + digest, null);
        try {
            if (!client(provider).deleteManifest(digest)) {
                log.warn("registry {} does not allow deletes; {} stays", provider.settings().get("registry"), published.identifier());
            }
        } catch (IOException e) {
            throw BuildErrors.pushFailed("deleting " + published.identifier() + " failed: " + e.getMessage(), e);
        }
    }

    /** A client for the provider's repository, to pull back what was pushed (manifest and layer by digest). */
    public OciRegistryClient clientFor(Provider provider) {
        check(provider);
        return client(provider);
    }
}
