package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.testing.ImageServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators and programs watch, against the real service and one real guest: /events streams the
 * VM from creating to powered on with its address, /metrics counts it the way Prometheus reads it, and
 * /healthz and /readyz say the service and its parts are usable.
 */
class OperatorEndpointsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void aVmsLifeIsStreamedCountedAndTheServiceSaysItIsReady() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        Machines.prepare("qemu");
        try (ImageServer images = new ImageServer();
             HangarProcess hangar = new HangarProcess(dir.resolve("data"), "--delete-grace", "1", "--max-image-size", "200mib").start()) {
            String base = hangar.base();
            try {
                assertEquals(200, get(base, "/healthz").statusCode());
                HttpResponse<String> ready = get(base, "/readyz");
                assertEquals(200, ready.statusCode(), ready.body());
                assertEquals("ok", JSON.readTree(ready.body()).get("checks").get("hypervisor").asText());

                HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/events?type=vm")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
                assertEquals(": hangar events", events.readLine());

                Path image = TestImages.directBoot();
                String body = "{\"image\": {\"url\": \"" + images.serve("/direct-boot.tar.gz", image) + "\", \"checksum\": \""
                        + TestImages.sha256(image) + "\", \"checksum_type\": \"sha256\"}, \"memory\": 256}";
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/vms"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, created.statusCode(), created.body());
                String id = JSON.readTree(created.body()).get("id").asText();

                // The stream, read on its own thread, until the VM has its address.
                CompletableFuture<List<JsonNode>> seen = CompletableFuture.supplyAsync(() -> {
                    List<JsonNode> mine = new ArrayList<>();
                    try {
                        for (String line = events.readLine(); line != null; line = events.readLine()) {
                            if (!line.startsWith("data: ")) continue;
                            JsonNode e = JSON.readTree(line.substring(6));
                            if (!e.get("id").asText().equals(id)) continue;
                            mine.add(e);
                            if (!e.get("ip_address").asText().isEmpty()) return mine;
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return mine;
                });
                List<JsonNode> life = seen.get(180, TimeUnit.SECONDS);
                assertEquals("creating", life.getFirst().get("status").asText(), life.toString());
                assertEquals("powered-on", life.getLast().get("status").asText(), life.toString());
                assertTrue(life.getLast().get("ip_address").asText().startsWith("10.213.0."), life.toString());
                stream.body().close();

                // The create's operation ends just after the VM's address is recorded (and streamed): wait for it.
                String succeeded = "hangar_operation_duration_seconds_count{kind=\"vm.create\",outcome=\"succeeded\"} 1";
                String metrics = get(base, "/metrics").body();
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); !metrics.contains(succeeded) && System.nanoTime() < until; ) {
                    Thread.sleep(100);
                    metrics = get(base, "/metrics").body();
                }
                assertTrue(metrics.contains("hangar_vms{state=\"powered-on\"} 1.0"), metrics);
                assertTrue(metrics.contains("hangar_vm_creates_total 1.0"), metrics);
                assertTrue(metrics.contains("hangar_image_cache_misses_total 1.0"), "the first create downloads its image: " + metrics);
                java.util.regex.Matcher downloaded = java.util.regex.Pattern.compile("(?m)^hangar_image_download_bytes_total (\\S+)$").matcher(metrics);
                assertTrue(downloaded.find(), metrics);
                assertEquals((double) java.nio.file.Files.size(image), Double.parseDouble(downloaded.group(1)), "the bytes downloaded are the image's");
                assertTrue(metrics.contains("hangar_vm_boot_to_address_seconds_count 1"), metrics);
                assertTrue(metrics.contains("hangar_http_requests_total{listener=\"main\",method=\"POST\",route=\"/vms\",status=\"202\"} 1.0"), metrics);
                assertTrue(metrics.contains(succeeded), metrics);
                assertEquals("text/plain; version=0.0.4; charset=utf-8", get(base, "/metrics").headers().firstValue("Content-Type").orElse(""));

                consoleOverAWebSocket(base, id);
                HttpResponse<String> noScreen = get(base, "/vms/" + id + "/vnc/ws");
                assertEquals(409, noScreen.statusCode(), noScreen.body());
                assertEquals("vm-no-display", JSON.readTree(noScreen.body()).get("code").asText(), "a headless VM has no screen");

                http.send(HttpRequest.newBuilder(URI.create(base + "/vms/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            } finally {
                System.out.println("---- service log ----\n" + hangar.log());
                Processes.endDaemons(hangar.dataDir());
            }
        }
    }

    /** The web console's view of a guest: its boot lines first, then a command typed into its shell, and the answer. */
    private void consoleOverAWebSocket(String base, String id) throws Exception {
        StringBuffer text = new StringBuffer();
        java.net.http.WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(base.replaceFirst("^http", "ws") + "/vms/" + id + "/console/ws"),
                new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onBinary(java.net.http.WebSocket w, java.nio.ByteBuffer data, boolean last) {
                        text.append(java.nio.charset.StandardCharsets.ISO_8859_1.decode(data));
                        w.request(1);
                        return null;
                    }
                }).get(30, TimeUnit.SECONDS);
        try {
            awaitText(text, "HANGAR-GUEST-READY", "the console's past (the boot) comes first");
            // The marker is arithmetic the guest's shell works out, so the echo of the typed line never matches it.
            ws.sendText("echo WS-$((40+2))-TYPED\n", true).get(10, TimeUnit.SECONDS);
            awaitText(text, "WS-42-TYPED", "what is typed reaches the guest's shell, and its answer comes back live");
        } finally {
            ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        }
    }

    private static void awaitText(StringBuffer text, String wanted, String why) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (text.indexOf(wanted) < 0 && System.nanoTime() < until) Thread.sleep(200);
        assertTrue(text.indexOf(wanted) >= 0, why + "; got:\n" + text);
    }

    private HttpResponse<String> get(String base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
