package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.builds.providers.DistributionRegistry;
import dev.hangar.builds.providers.OciRegistryClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image Factory's API end to end against the real service: a client written from v2's shapes runs
 * the whole mock flow (with callbacks), and a provider image goes to a real OCI registry from Debian's
 * packages and comes back byte for byte.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class ImageFactoryEndToEndTest {
    static final String MOCK_TDL = "<template><name>mock</name><os><name>MockOS_A</name><version>1</version><arch>x86_64</arch>"
            + "<install type='url'><url>http://mock.test/</url></install></os><description>a mock</description></template>";
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path data;
    static HangarProcess hangar;
    static CallbackReceiver callbacks;
    static DistributionRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests run through ./test, in a network namespace");
        callbacks = new CallbackReceiver();
        registry = new DistributionRegistry(data.resolve("registry"), null, null);
        hangar = new HangarProcess(data.resolve("hangar"), "--network-mode", "user", "--build-min-free", "64mib").start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (hangar != null) {
            System.out.println("---- service log ----\n" + hangar.log());
            hangar.close();
        }
        if (registry != null) registry.close();
        if (callbacks != null) callbacks.close();
    }

    @Test
    @Order(1)
    void aV2ClientRunsTheWholeMockFlowInSecondsWithCallbacksAndDeletesLeaveNothing() throws Exception {
        long t0 = System.nanoTime();
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode b = body.putObject("base_image").put("template", MOCK_TDL);
        b.putObject("parameters").putArray("callbacks").add(callbacks.url());
        Reply created = call("POST", "/imagefactory/base_images", body.toString());
        assertEquals(202, created.status(), created.body());
        String id = created.json().get("base_image").get("id").textValue();
        JsonNode base = await("/imagefactory/base_images/" + id, "base_image");
        assertEquals(100, base.get("percent_complete").intValue());

        Reply target = call("POST", "/imagefactory/base_images/" + id + "/target_images", "{\"target_image\": {\"target\": \"mock\"}}");
        assertEquals(202, target.status(), target.body());
        String tid = target.json().get("target_image").get("id").textValue();
        await("/imagefactory/target_images/" + tid, "target_image");
        System.out.printf("v2 mock flow: base image and target image COMPLETE in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

        // The callbacks: a PUT of the wrapped object at each status change, ending COMPLETE.
        List<String> statuses = new ArrayList<>();
        while (!statuses.contains("COMPLETE")) {
            JsonNode put = callbacks.next(Duration.ofSeconds(10)).body();
            assertEquals(id, put.get("base_image").get("id").textValue());
            statuses.add(put.get("base_image").get("status").textValue());
        }
        assertTrue(statuses.containsAll(List.of("BUILDING", "COMPLETE")), statuses.toString());

        assertEquals(204, call("DELETE", "/imagefactory/target_images/" + tid, null).status());
        assertEquals(204, call("DELETE", "/imagefactory/base_images/" + id, null).status());
        assertEquals(404, call("GET", "/imagefactory/base_images/" + id, null).status());
        assertEquals(404, call("GET", "/imagefactory/target_images/" + tid, null).status());
        assertTrue(Files.notExists(hangar.dataDir().resolve("builds").resolve(id)), "the base image's files are gone");
    }

    @Test
    @Order(2)
    void aProviderImagePushedToAnOciRegistryPullsBackByteForByte() throws Exception {
        Reply target = call("POST", "/imagefactory/target_images",
                Json.MAPPER.createObjectNode().set("target_image", Json.MAPPER.createObjectNode().put("target", "mock").put("template", MOCK_TDL)).toString());
        assertEquals(202, target.status(), target.body());
        String tid = target.json().get("target_image").get("id").textValue();
        await("/imagefactory/target_images/" + tid, "target_image");
        byte[] raw = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/imagefactory/target_images/" + tid + "/raw_image")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();

        ObjectNode provider = Json.MAPPER.createObjectNode().put("type", "oci").put("registry", registry.url().toString())
                .put("repository", "hangar/mock").put("tag", "v1");
        ObjectNode pb = Json.MAPPER.createObjectNode();
        pb.putObject("provider_image").put("provider", provider.toString()).put("credentials", "{}");
        Reply pushed = call("POST", "/imagefactory/target_images/" + tid + "/provider_images", pb.toString());
        assertEquals(202, pushed.status(), pushed.body());
        JsonNode p = await("/imagefactory/provider_images/" + pushed.json().get("provider_image").get("id").textValue(), "provider_image");
        String digest = p.get("digest").textValue();
        assertTrue(p.get("identifier_on_provider").textValue().endsWith("hangar/mock@" + digest), p.toString());

        OciRegistryClient client = new OciRegistryClient(http, registry.url(), "hangar/mock", null, null);
        JsonNode manifest = client.manifest(digest);
        String layer = manifest.get("layers").get(0).get("digest").textValue();
        Path back = data.resolve("pulled");
        client.downloadBlob(layer, back);
        assertArrayEquals(raw, Files.readAllBytes(back), "the registry gives back the bytes the factory made");
    }

    private static JsonNode await(String path, String wrapper) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode o;
        do {
            o = call("GET", path, null).json().get(wrapper);
            if (o.get("status").textValue().equals("FAILED")) throw new AssertionError(o.toString());
            if (o.get("status").textValue().equals("COMPLETE")) return o;
            Thread.sleep(50);
        } while (System.nanoTime() < until);
        throw new AssertionError("not COMPLETE within 60 s: " + o);
    }

    record Reply(int status, String body) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(body);
        }
    }

    private static Reply call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hangar.base() + path)).timeout(Duration.ofSeconds(60));
        if (body != null) b.header("Content-Type", "application/json");
        HttpResponse<String> r = http.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }
}
