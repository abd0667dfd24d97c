package dev.hangar.api.imagefactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.builds.MockOsBuilder;
import dev.hangar.core.builds.ImageFactory;
import dev.hangar.core.builds.ImageFactoryTest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image Factory's REST API as its clients call it: v2's wrapped JSON flow, v1's form-encoded seed
 * example and builders, and the errors the original answered 500 to. The factory behind it is real,
 * with MockOS and stand-in converters and providers.
 */
class ImageFactoryFaceTest {
    static final String MOCK_TDL = "<template><name>m</name><os><name>MockOS_A</name><version>1</version><arch>x86_64</arch>"
            + "<install type='url'><url>http://mock.test/</url></install></os></template>";
    final HttpClient http = HttpClient.newHttpClient();
    @TempDir
    Path dir;
    ImageFactory factory;
    ApiServer server;
    String base;

    @BeforeEach
    void start() throws Exception {
        factory = new ImageFactory(new ImageFactory.Ports(new ImageFactoryTest.Store(), List.of(new MockOsBuilder()),
                new ImageFactoryTest.Targets(), new ImageFactoryTest.Providers(), url -> Tdl.parse(MOCK_TDL), image -> { },
                new dev.hangar.core.InMemoryUrlPolicy()),
                new ImageFactory.Settings(dir, 2, 0),
                new dev.hangar.core.operations.Operations(new dev.hangar.core.vms.VmServiceTest.InMemoryOperationStore(), Clock.systemUTC()), Clock.systemUTC());
        factory.start();
        server = new ApiServer();
        new ImageFactoryFace(factory, (id, name) -> java.util.Optional.empty()).register(server);
        server.start(new InetSocketAddress("127.0.0.1", 0));
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
        factory.close();
    }

    @Test
    void v2sWholeMockFlowRunsInSecondsAndDeletesLeaveNothing() throws Exception {
        JsonNode version = send("GET", "/imagefactory", null, null).json();
        assertEquals("2.0", version.get("api_version").textValue());

        String body = Json.MAPPER.createObjectNode().set("base_image", Json.MAPPER.createObjectNode().put("template", MOCK_TDL)).toString();
        Reply created = send("POST", "/imagefactory/base_images", body, "application/json");
        assertEquals(202, created.status(), created.body());
        JsonNode b = created.json().get("base_image");
        assertEquals("BaseImage", b.get("_type").textValue());
        String id = b.get("id").textValue();
        assertEquals(base + "/imagefactory/base_images/" + id, b.get("href").textValue());
        JsonNode baseDone = await("/imagefactory/base_images/" + id, "base_image");

        Reply target = send("POST", "/imagefactory/base_images/" + id + "/target_images", "{\"target_image\": {\"target\": \"mock\"}}", "application/json");
        assertEquals(202, target.status(), target.body());
        String tid = target.json().get("target_image").get("id").textValue();
        JsonNode targetDone = await("/imagefactory/target_images/" + tid, "target_image");
        assertEquals(id, targetDone.get("base_image").get("id").textValue());
        assertEquals(tid, send("GET", "/imagefactory/base_images/" + id, null, null).json().get("base_image").get("target_images").get(0)
                .get("id").textValue(), "a base image lists its target images");
        assertTrue(send("GET", "/imagefactory/target_images/" + tid + "/raw_image", null, null).body().startsWith("target of MockOS"));
        assertEquals(1, send("GET", "/imagefactory/base_images", null, null).json().get("base_images").size());
        assertEquals(100, baseDone.get("percent_complete").intValue());

        assertEquals(204, send("DELETE", "/imagefactory/target_images/" + tid, null, null).status());
        assertEquals(204, send("DELETE", "/imagefactory/base_images/" + id, null, null).status());
        assertEquals(404, send("GET", "/imagefactory/base_images/" + id, null, null).status());
        assertEquals(404, send("GET", "/imagefactory/target_images/" + tid, null, null).status());
    }

    @Test
    void errorsTheOriginalAnswered500AreNowClientErrors() throws Exception {
        assertEquals(404, send("GET", "/imagefactory/base_images/" + java.util.UUID.randomUUID(), null, null).status());
        assertEquals(404, send("GET", "/imagefactory/base_images/not-a-uuid", null, null).status());
        HttpResponse<String> html = http.send(HttpRequest.newBuilder(URI.create(base + "/imagefactory/base_images"))
                .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(406, html.statusCode());
        Reply missing = send("POST", "/imagefactory/base_images", "{\"base_image\": {\"parameters\": {}}}", "application/json");
        assertEquals(400, missing.status());
        assertEquals("missing-parameters", missing.json().get("code").textValue());
        Reply bad = send("POST", "/imagefactory/base_images", "{\"base_image\": {\"template\": \"<template><name>x</name></template>\"}}",
                "application/json");
        assertEquals(400, bad.status());
        assertEquals("invalid-template", bad.json().get("code").textValue());
        assertTrue(bad.json().get("message").textValue().startsWith("<os>"), bad.body());
        Reply target = send("POST", "/imagefactory/target_images", "{\"target_image\": {\"target\": \"floppy\", \"template\": \"" + MOCK_TDL.replace("'", "\\u0027") + "\"}}",
                "application/json");
        assertEquals(400, target.status(), target.body());
        assertEquals("invalid-target", target.json().get("code").textValue());
    }

    @Test
    void aJsonTemplateWithTextXmlCannotHoldOrAHugeDiskSizeIsA400NotA500() throws Exception {
        // Found by the fuzz suite: both were 500 internal-error (the template is kept as TDL; the size overflowed a long).
        String os = "\"os\": {\"name\": \"MockOS_A\", \"version\": \"1\", \"arch\": \"x86_64\", "
                + "\"install\": {\"type\": \"url\", \"url\": \"http://mock.test/\"}}";
        for (String template : List.of("{\"name\": \"m\", " + os + ", \"commands\": [\"echo \\u000c\"]}",
                "{\"name\": \"m\\ud800\", " + os + "}",
                "{\"name\": \"m\", " + os + ", \"disk\": {\"size\": \"99999999999999999999\"}}",
                "{\"name\": \"m\", " + os + ", \"disk\": {\"size\": 1e400}}")) {
            Reply reply = send("POST", "/imagefactory/base_images", "{\"base_image\": {\"template\": " + template + "}}", "application/json");

            assertEquals(400, reply.status(), template + " -> " + reply.body());
            assertEquals("invalid-template", reply.json().get("code").textValue());
        }
    }

    @Test
    void v1sSeedExampleFormEncodedMakesAnImageABuildAndMockTargetImagesWithBuilders() throws Exception {
        String form = "targets=mock&template=" + URLEncoder.encode(TdlTest.SEED, StandardCharsets.UTF_8);
        Reply created = send("POST", "/imagefactory/images", form, "application/x-www-form-urlencoded");
        assertEquals(202, created.status(), created.body());
        JsonNode image = created.json();
        assertEquals("image", image.get("_type").textValue());
        JsonNode build = image.get("build");
        assertEquals("build", build.get("_type").textValue());
        JsonNode ti = build.get("target_images").get(0);
        String status = ti.get("href").textValue().substring(base.length()) + "/status";
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode s;
        do {
            s = send("GET", status, null, null).json();
            if (s.get("status") == null) throw new AssertionError(status + " -> " + s);
        } while (!s.get("status").textValue().equals("COMPLETED") && System.nanoTime() < until && sleep());
        assertEquals("COMPLETED", s.get("status").textValue(), "v1's word for complete");
        assertEquals("target_image_status", s.get("_type").textValue());
        JsonNode builders = send("GET", "/imagefactory/builders", null, null).json();
        assertEquals("builders", builders.get("_type").textValue());
        JsonNode first = builders.get("builders").get(0);
        assertEquals("mock", first.get("target").textValue());
        assertEquals(100, first.get("completed").intValue());
        assertEquals("build", first.get("operation").textValue());
        assertEquals("COMPLETED", send("GET", "/imagefactory/builders/" + first.get("id").textValue() + "/status", null, null).json()
                .get("status").textValue());

        // The aeolus client's wrapped JSON, and a push with the seed's XML credentials.
        Reply wrapped = send("POST", "/imagefactory/images", Json.MAPPER.createObjectNode().set("image", Json.MAPPER.createObjectNode()
                .put("targets", "mock").put("template", TdlTest.SEED)).toString(), "application/json");
        assertEquals(202, wrapped.status(), wrapped.body());
        Reply push = send("POST", "/imagefactory/provider_images", "target_image_id=" + ti.get("id").textValue()
                + "&provider=hangar&credentials=" + URLEncoder.encode("<provider_credentials><x><username>u</username></x></provider_credentials>",
                StandardCharsets.UTF_8), "application/x-www-form-urlencoded");
        assertEquals(202, push.status(), push.body());
        assertEquals("provider_image", push.json().get("_type").textValue());
    }

    private JsonNode await(String path, String wrapper) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode o;
        do {
            o = send("GET", path, null, null).json().get(wrapper);
            if (o.get("status").textValue().equals("FAILED")) throw new AssertionError(o.toString());
        } while (!o.get("status").textValue().equals("COMPLETE") && System.nanoTime() < until && sleep());
        assertEquals("COMPLETE", o.get("status").textValue(), o.toString());
        return o;
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(20);
        return true;
    }

    record Reply(int status, String body) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(body);
        }
    }

    private Reply send(String method, String path, String body, String type) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (type != null) b.header("Content-Type", type);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }
}
