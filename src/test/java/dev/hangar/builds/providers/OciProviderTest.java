package dev.hangar.builds.providers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.builds.TestImages.RecordingProgress;
import dev.hangar.builds.TestImages;
import dev.hangar.core.HangarException;
import dev.hangar.core.builds.ProviderPublisher.Provider;
import dev.hangar.core.builds.ProviderPublisher.Published;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oci provider against Debian's distribution registry, started by the test on loopback. */
class OciProviderTest {
    static final String USER = "builder";
    static final String PASSWORD = "s3cret-pass";

    @TempDir static Path registries;
    static DistributionRegistry open;
    static DistributionRegistry guarded;

    @TempDir Path tmp;
    final HttpClient http = HttpClient.newHttpClient();
    final OciProvider oci = new OciProvider(http, new dev.hangar.core.InMemoryUrlPolicy());

    @BeforeAll
    static void startRegistries() throws Exception {
        open = new DistributionRegistry(registries.resolve("open"), null, null);
        guarded = new DistributionRegistry(registries.resolve("guarded"), USER, PASSWORD);
    }

    @AfterAll
    static void stopRegistries() {
        if (open != null) open.close();
        if (guarded != null) guarded.close();
    }

    static Provider provider(DistributionRegistry registry, String repository, String tag, Map<String, String> credentials) {
        Map<String, String> settings = new HashMap<>(Map.of("registry", registry.url().toString(), "repository", repository));
        if (tag != null) settings.put("tag", tag);
        return new Provider("oci", settings, credentials);
    }

    Path image(String name, int mib, long seed) {
        return TestImages.randomFile(tmp.resolve(name), mib, seed);
    }

    @Test
    void pushedImagePullsBackByDigestWithIdenticalBytes() throws Exception {
        Path file = image("web.qcow2", 12, 1);
        Provider provider = provider(open, "hangar/images", "web-1", Map.of());
        RecordingProgress progress = new RecordingProgress();

        Published published = oci.publish(file, "kvm", "3f2c-id", provider, progress);

        String digest = published.properties().get("digest");
        assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
        assertEquals(open.hostPort() + "/hangar/images@" + digest, published.identifier());
        assertEquals(open.hostPort() + "/hangar/images:web-1", published.properties().get("reference"));
        assertEquals(Long.toString(Files.size(file)), published.properties().get("size"));
        assertEquals(100, progress.percents.get(progress.percents.size() - 1));
        assertTrue(progress.percents.stream().anyMatch(p -> p > 0 && p < 95), "upload progress: " + progress.percents);

        OciRegistryClient client = oci.clientFor(provider);
        JsonNode manifest = client.manifest(digest);
        assertEquals("application/vnd.oci.image.manifest.v1+json", manifest.path("mediaType").asText());
        assertEquals("application/vnd.hangar.disk.v1", manifest.path("artifactType").asText());
        assertEquals("application/vnd.oci.empty.v1+json", manifest.path("config").path("mediaType").asText());
        JsonNode layer = manifest.path("layers").get(0);
        assertEquals(1, manifest.path("layers").size());
        assertEquals("application/vnd.hangar.disk.qcow2", layer.path("mediaType").asText());
        assertEquals("web.qcow2", layer.path("annotations").path("org.opencontainers.image.title").asText());
        assertEquals("sha256:" + TestImages.sha256(file), layer.path("digest").asText());
        assertEquals(Files.size(file), layer.path("size").asLong());

        Path pulled = tmp.resolve("pulled.qcow2");
        client.downloadBlob(layer.path("digest").asText(), pulled);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(pulled));

        // The tag names the same manifest, through the plain registry API.
        HttpResponse<byte[]> byTag = http.send(HttpRequest.newBuilder(open.url().resolve("/v2/hangar/images/manifests/web-1"))
                .header("Accept", OciRegistryClient.MANIFEST_TYPE).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, byTag.statusCode());
        assertEquals(digest, OciRegistryClient.digest(byTag.body()));
    }

    @Test
    void theTagDefaultsToTheProviderImageId() {
        Published published = oci.publish(image("a.vhdx", 1, 2), "hyperv", "b6e1d7c0-id", provider(open, "hangar/default-tag", null, Map.of()),
                new RecordingProgress());
        assertEquals(open.hostPort() + "/hangar/default-tag:b6e1d7c0-id", published.properties().get("reference"));
        assertEquals("application/vnd.hangar.disk.vhdx", published.properties().get("media_type"));
    }

    @Test
    void aBlobWhoseBytesDoNotMatchItsDigestIsRefusedOnPull() throws Exception {
        Path file = image("x.raw", 1, 3);
        Provider provider = provider(open, "hangar/tamper", "t", Map.of());
        Published published = oci.publish(file, "raw", "id", provider, new RecordingProgress());
        String layerDigest = published.properties().get("layer_digest");
        assertEquals("sha256:" + TestImages.sha256(file), layerDigest);
        // Damage the blob in the registry's own storage (the filesystem driver's layout).
        String hex = layerDigest.substring("sha256:".length());
        Path stored = registries.resolve("open/storage/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
        byte[] bytes = Files.readAllBytes(stored);
        bytes[1000] ^= 1;
        Files.write(stored, bytes);

        OciRegistryClient client = oci.clientFor(provider);
        OciRegistryClient.RegistryException e = assertThrows(OciRegistryClient.RegistryException.class,
                () -> client.downloadBlob(layerDigest, tmp.resolve("pulled.raw")));
        assertTrue(e.getMessage().contains("arrived with digest"), e.getMessage());
        try (var left = Files.list(tmp)) {
            assertEquals(java.util.List.of("x.raw"), left.map(p -> p.getFileName().toString()).toList(), "nothing pulled is kept");
        }
        // A digest the registry does not hold is a 404.
        String other = OciRegistryClient.digest("not this".getBytes());
        assertEquals(404, assertThrows(OciRegistryClient.RegistryException.class, () -> client.downloadBlob(other, tmp.resolve("n"))).status());
    }

    @Test
    void credentialsArePushedWithBasicAuthAndAWrongPasswordIsRefused() throws Exception {
        Path file = image("box.vmwarevm.tar.gz", 2, 4);
        Published ok = oci.publish(file, "vmware", "id1", provider(guarded, "team/box", "good",
                Map.of("username", USER, "password", PASSWORD)), new RecordingProgress());
        assertEquals("application/vnd.hangar.disk.vmwarevm.tar+gzip", ok.properties().get("media_type"));

        HangarException wrong = assertThrows(HangarException.class, () -> oci.publish(file, "vmware", "id2",
                provider(guarded, "team/box", "bad", Map.of("username", USER, "password", "nope")), new RecordingProgress()));
        assertEquals("push-failed", wrong.code());
        assertTrue(wrong.getMessage().contains("refused the credentials"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains(USER), "no user name in what anyone reading the build sees: " + wrong.getMessage());

        HangarException none = assertThrows(HangarException.class, () -> oci.publish(file, "vmware", "id3",
                provider(guarded, "team/box", "anon", Map.of()), new RecordingProgress()));
        assertEquals("push-failed", none.code());
        assertTrue(none.getMessage().contains("requires credentials"), none.getMessage());

        // Only the good push made a tag.
        OciRegistryClient client = new OciRegistryClient(http, guarded.url(), "team/box", USER, PASSWORD);
        assertTrue(client.manifest(ok.properties().get("digest")).has("layers"));
        HttpResponse<Void> badTag = http.send(HttpRequest.newBuilder(guarded.url().resolve("/v2/team/box/manifests/bad"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes())).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(404, badTag.statusCode());
    }

    @Test
    void aRegistryAskingForABearerTokenGetsOneFromItsRealmWithTheCredentials() throws Exception {
        try (TokenAuthProxy proxy = new TokenAuthProxy(open.url(), USER, PASSWORD)) {
            Path file = image("t.qcow2", 2, 7);
            Map<String, String> settings = Map.of("registry", proxy.url().toString(), "repository", "hangar/token", "tag", "t");
            Published published = oci.publish(file, "kvm", "id", new Provider("oci", settings, Map.of("username", USER, "password", PASSWORD)),
                    new RecordingProgress());
            assertTrue(proxy.tokenQueries.get(0).contains("service=hangar-test"), proxy.tokenQueries.toString());
            assertTrue(proxy.tokenQueries.get(0).contains("scope=repository%3Ahangar%2Ftoken%3Apull%2Cpush"), proxy.tokenQueries.toString());
            assertTrue(proxy.forwarded.stream().anyMatch(f -> f.startsWith("PATCH /v2/hangar/token/blobs/uploads/")),
                    "the upload went through the token-checking proxy: " + proxy.forwarded);
            Path pulled = tmp.resolve("pulled");
            OciRegistryClient client = new OciRegistryClient(http, proxy.url(), "hangar/token", USER, PASSWORD);
            client.downloadBlob(published.properties().get("layer_digest"), pulled);
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(pulled));

            HangarException wrong = assertThrows(HangarException.class, () -> oci.publish(file, "kvm", "id2",
                    new Provider("oci", settings, Map.of("username", USER, "password", "nope")), new RecordingProgress()));
            assertEquals("push-failed", wrong.code());
            assertTrue(wrong.getMessage().contains("fetching a token"), wrong.getMessage());
            assertTrue(wrong.getMessage().contains("(UNAUTHORIZED)"), "the registry's error code: " + wrong.getMessage());
            assertFalse(wrong.getMessage().contains("echo") || wrong.getMessage().contains("Basic"),
                    "never the body the token service sent: " + wrong.getMessage());
        }
    }

    @Test
    void aPlainHttpTokenRealmOnAnotherHostGetsNoCredentialsAndNoRequest() throws Exception {
        try (TokenAuthProxy proxy = new TokenAuthProxy(open.url(), USER, PASSWORD)) {
            proxy.realmHost = "localhost"; // the same port, but not the registry's host (127.0.0.1), and not https
            Path file = image("r.qcow2", 2, 7);
            Map<String, String> settings = Map.of("registry", proxy.url().toString(), "repository", "hangar/realm", "tag", "t");
            HangarException refused = assertThrows(HangarException.class, () -> oci.publish(file, "kvm", "id",
                    new Provider("oci", settings, Map.of("username", USER, "password", PASSWORD)), new RecordingProgress()));
            assertEquals("push-failed", refused.code());
            assertTrue(refused.getMessage().contains("token realm http://localhost:"), refused.getMessage());
            assertEquals(java.util.List.of(), proxy.tokenQueries, "the realm was never asked, so it never saw the credentials");
        }
    }

    @Test
    void unpublishDeletesTheManifest() throws Exception {
        Provider provider = provider(open, "hangar/gone", "t", Map.of());
        Published published = oci.publish(image("g.qcow2", 1, 5), "kvm", "id", provider, new RecordingProgress());
        OciRegistryClient client = oci.clientFor(provider);
        client.manifest(published.properties().get("digest"));

        oci.unpublish(published, provider);

        OciRegistryClient.RegistryException e = assertThrows(OciRegistryClient.RegistryException.class,
                () -> client.manifest(published.properties().get("digest")));
        assertEquals(404, e.status());
        oci.unpublish(published, provider); // a second time is fine: it is gone
    }

    @Test
    void aCancelledPushStopsAndTagsNothing() throws Exception {
        Path file = image("big.qcow2", 64, 6);
        Provider provider = provider(open, "hangar/cancelled", "never", Map.of());
        RecordingProgress progress = new RecordingProgress(p -> p >= 5);
        HangarException e = assertThrows(HangarException.class, () -> oci.publish(file, "kvm", "id", provider, progress));
        assertEquals("build-cancelled", e.code());
        HttpResponse<Void> tag = http.send(HttpRequest.newBuilder(open.url().resolve("/v2/hangar/cancelled/manifests/never")).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(404, tag.statusCode());
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        Map<String, Map<String, String>> bad = new java.util.LinkedHashMap<>();
        bad.put("registry", Map.of("repository", "a"));
        bad.put("registry ", Map.of("registry", "ftp://r.example", "repository", "a"));
        bad.put("registry  ", Map.of("registry", "https://r.example/v2/x", "repository", "a"));
        bad.put("registry   ", Map.of("registry", "https://u:p@r.example", "repository", "a"));
        bad.put("repository", Map.of("registry", "https://r.example"));
        bad.put("repository ", Map.of("registry", "https://r.example", "repository", "Upper/Case"));
        bad.put("tag", Map.of("registry", "https://r.example", "repository", "a", "tag", "-bad"));
        for (var entry : bad.entrySet()) {
            HangarException e = assertThrows(HangarException.class, () -> oci.check(new Provider("oci", entry.getValue(), Map.of())));
            assertEquals("invalid-provider", e.code());
            assertEquals(HangarException.Kind.INVALID, e.kind());
            assertTrue(e.getMessage().startsWith("provider setting " + entry.getKey().strip() + ":"), e.getMessage());
        }
        Map<String, String> good = Map.of("registry", "https://r.example:5000", "repository", "a/b");
        oci.check(new Provider("oci", good, Map.of()));
        HangarException noPassword = assertThrows(HangarException.class, () -> oci.check(new Provider("oci", good, Map.of("username", "u"))));
        assertTrue(noPassword.getMessage().startsWith("provider setting password:"), noPassword.getMessage());
    }
}
