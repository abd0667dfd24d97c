package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.testing.ImageServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbound policy as a client meets it on POST /vms of the real service: targets it can see refused
 * at once (400), a redirect to one ending the VM in error. No guest boots: every image here fails
 * before that. Inside the test namespace nothing but loopback is reachable anyway.
 */
@Timeout(300)
class OutboundEndToEndTest {
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CHECKSUM = "ab".repeat(32);

    @TempDir
    static Path data;
    static ImageServer images;
    static HangarProcess hangar;
    static int hostsPort;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests run through ./test, in a network namespace");
        images = new ImageServer();
        try (ServerSocket s = new ServerSocket(0)) {
            hostsPort = s.getLocalPort();
        }
        hangar = new HangarProcess(data.resolve("hangar"), "--network-mode", "user", "--hosts-listen", "127.0.0.1:" + hostsPort).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (hangar != null) {
            for (JsonNode vm : get("/vms")) delete(vm.get("id").textValue());
            System.out.println("---- service log ----\n" + hangar.log());
            hangar.close();
        }
        if (images != null) images.close();
    }

    @Test
    void imagesAndCallbacksHangarMustNotReachAreRefusedAtPost() throws Exception {
        int before = get("/vms").size();
        for (String url : new String[] {"http://169.254.169.254/latest/box.tar.gz", "http://2852039166/box.tar.gz",
                "http://[::ffff:a9fe:a9fe]/box.tar.gz", "http://0xa9.254.169.254/box.tar.gz"}) {
            HttpResponse<String> r = postVm(url, null);
            assertEquals(400, r.statusCode(), url + ": " + r.body());
            assertEquals("image-url-forbidden", Json.MAPPER.readTree(r.body()).get("code").textValue(), r.body());
        }
        HttpResponse<String> callback = postVm(images.url("/box.tar.gz"), "http://169.254.169.254/ready");
        assertEquals(400, callback.statusCode(), callback.body());
        assertEquals("callback-url-forbidden", Json.MAPPER.readTree(callback.body()).get("code").textValue());
        HttpResponse<String> ownCallback = postVm(images.url("/box.tar.gz"), hangar.base() + "/vms");
        assertEquals("callback-url-forbidden", Json.MAPPER.readTree(ownCallback.body()).get("code").textValue(), ownCallback.body());
        assertEquals(before, get("/vms").size(), "no VM was made for a refused request");
    }

    @Test
    void theServicesOwnListenersAreNoImageSourceExceptItsCatalog() throws Exception {
        for (String url : new String[] {hangar.base() + "/vms", "http://localhost:" + URI.create(hangar.base()).getPort() + "/vms",
                "http://127.0.0.1:" + hostsPort + "/hosts", "http://[::ffff:127.0.0.1]:" + hostsPort + "/hosts"}) {
            HttpResponse<String> r = postVm(url, null);
            assertEquals(400, r.statusCode(), url + ": " + r.body());
            assertEquals("image-url-forbidden", Json.MAPPER.readTree(r.body()).get("code").textValue(), r.body());
        }
        // The image catalog may be booted from: accepted, and here it fails only because there is no such file.
        HttpResponse<String> catalog = postVm(hangar.base() + "/imagefactory/published/" + UUID.randomUUID() + "/disk.qcow2", null);
        assertEquals(202, catalog.statusCode(), catalog.body());
        JsonNode failed = awaitError(Json.MAPPER.readTree(catalog.body()).get("id").textValue());
        assertEquals("image-download-failed", failed.get("error").get("code").textValue(), failed.toString());
    }

    @Test
    void aRedirectToAnAddressHangarMustNotReachEndsTheVmInError() throws Exception {
        String url = images.redirect("/redirected/box.tar.gz", "http://169.254.169.254/latest/meta-data/box.tar.gz");
        HttpResponse<String> r = postVm(url, null);
        assertEquals(202, r.statusCode(), "the first hop is fine: " + r.body());
        JsonNode failed = awaitError(Json.MAPPER.readTree(r.body()).get("id").textValue());
        assertEquals("image-url-forbidden", failed.get("error").get("code").textValue(), failed.toString());
        assertTrue(failed.get("error").get("message").textValue().contains("169.254.169.254"), failed.toString());
        assertEquals(1, images.hits("/redirected/box.tar.gz"));
    }

    private static HttpResponse<String> postVm(String imageUrl, String callbackUrl) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode().put("cpus", 1).put("memory", "256mib");
        body.putObject("image").put("url", imageUrl).put("checksum", CHECKSUM).put("checksum_type", "sha256");
        if (callbackUrl != null) body.put("callback_url", callbackUrl);
        return http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode awaitError(String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode vm = null;
        while (System.nanoTime() < until) {
            vm = get("/vms/" + id);
            if (vm.get("status").textValue().equals("error")) return vm;
            Thread.sleep(100);
        }
        throw new AssertionError("VM " + id + " did not end in error: " + vm);
    }

    private static JsonNode get(String path) throws Exception {
        return Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(hangar.base() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static void delete(String id) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }
}
