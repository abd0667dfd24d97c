package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.testing.ImageServer;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's limits, reached on purpose against the real service: a client too slow to send its
 * request, a body too large, too many creates at once, too many VMs, and the gold image cache listed
 * and pruned. Past a limit the answer is a coded JSON error, and nothing is made.
 */
class LimitsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void pastEachLimitTheAnswerIsACodedErrorAndNothingIsMade() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        Machines.prepare("qemu");
        try (ImageServer images = new ImageServer();
             HangarProcess hangar = new HangarProcess(dir.resolve("data"), "--request-timeout", "3", "--max-vms", "3",
                     "--max-concurrent-creates", "1", "--delete-grace", "1", "--max-image-size", "200mib").start()) {
            String base = hangar.base();
            try {
                // A client that starts a request and never finishes it loses its connection.
                long started = System.nanoTime();
                try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), URI.create(base).getPort())) {
                    slow.setSoTimeout(20_000);
                    slow.getOutputStream().write("POST /vms HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".getBytes(StandardCharsets.US_ASCII));
                    slow.getOutputStream().flush();
                    InputStream in = slow.getInputStream();
                    try {
                        while (in.read() >= 0) {
                            // whatever the server says before it closes
                        }
                    } catch (java.net.SocketException reset) {
                        // closed by a reset: closed all the same
                    }
                }
                double waited = (System.nanoTime() - started) / 1e9;
                System.out.printf("a request never finished was cut off after %.1f s (--request-timeout 3)%n", waited);
                assertTrue(waited >= 2.5 && waited < 15, "the slow request was cut off after " + waited + " s, not at about 3 s");

                HttpResponse<String> large = http.send(HttpRequest.newBuilder(URI.create(base + "/vms"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[2 << 20])).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(413, large.statusCode(), large.body());
                assertEquals("body-too-large", code(large));

                // A download that never ends keeps a creation going: the next create must wait its turn.
                String stalling = images.serve("/stalls.raw", () -> new SequenceInputStream(
                        new java.io.ByteArrayInputStream(new byte[64 << 10]), new InputStream() {
                            @Override
                            public int read() {
                                try {
                                    Thread.sleep(120_000);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                                return -1;
                            }
                        }));
                String slowVm = create(base, stalling, "ab".repeat(32)).get("id").asText();
                HttpResponse<String> busy = post(base, "/vms", body(images.url("/missing.raw"), "cd".repeat(32)));
                assertEquals(429, busy.statusCode(), busy.body());
                assertEquals("too-many-creates", code(busy));
                assertEquals("5", busy.headers().firstValue("Retry-After").orElse(""));
                assertEquals(1, list(base).size(), "the refused create left no record");
                delete(base, slowVm);
                awaitGone(base, slowVm);

                // One real guest from the test image: its gold is listed as in use, and prune keeps it.
                Path image = TestImages.directBoot();
                String guest = create(base, images.serve("/direct-boot.tar.gz", image), TestImages.sha256(image)).get("id").asText();
                awaitStatus(base, guest, "powered-on", Duration.ofSeconds(180));
                JsonNode cache = get(base, "/images");
                assertEquals(1, cache.get("images").size(), cache.toString());
                JsonNode gold = cache.get("images").get(0);
                assertEquals("sha256-" + TestImages.sha256(image), gold.get("key").asText());
                assertEquals(1, gold.get("vms").asInt());
                assertTrue(gold.get("bytes").asLong() > 0);
                assertEquals(0, JSON.readTree(post(base, "/images/prune", "").body()).get("removed").size(), "a gold in use stays");

                // Two failed creates keep their records (with their reasons): three VMs, the most this service keeps.
                for (int i = 0; i < 2; i++) {
                    String failed = create(base, images.url("/missing-" + i + ".raw"), "ef".repeat(32)).get("id").asText();
                    awaitStatus(base, failed, "error", Duration.ofSeconds(60));
                }
                HttpResponse<String> full = post(base, "/vms", body(images.url("/missing.raw"), "cd".repeat(32)));
                assertEquals(507, full.statusCode(), full.body());
                assertEquals("vm-limit-reached", code(full));
                assertEquals(3, list(base).size());

                for (JsonNode vm : list(base)) delete(base, vm.get("id").asText());
                for (JsonNode vm : list(base)) awaitGone(base, vm.get("id").asText());
                JsonNode pruned = JSON.readTree(post(base, "/images/prune", "").body());
                assertEquals(gold.get("key").asText(), pruned.get("removed").get(0).get("key").asText(), pruned.toString());
                assertEquals(gold.get("bytes").asLong(), pruned.get("freed_bytes").asLong());
                assertEquals(0, get(base, "/images").get("images").size());
                // (The stalled download's temp directory stays until that download gives up: downloads are shared
                // by the creates that want the image, so deleting one VM does not end it.)
                try (Stream<Path> left = Files.list(hangar.dataDir().resolve("images"))) {
                    assertEquals(java.util.List.of(), left.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("sha256-") || n.startsWith(".tmp-removed")).toList(), "the gold's directory is gone");
                }
            } finally {
                System.out.println("---- service log ----\n" + hangar.log());
                Processes.endDaemons(hangar.dataDir());
            }
        }
    }

    private static String body(String url, String sum) {
        return "{\"image\": {\"url\": \"" + url + "\", \"checksum\": \"" + sum + "\", \"checksum_type\": \"sha256\"},"
                + " \"memory\": 256, \"tools_init_timeout\": 60}";
    }

    private JsonNode create(String base, String url, String sum) throws Exception {
        HttpResponse<String> r = post(base, "/vms", body(url, sum));
        assertEquals(202, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> post(String base, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String base, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private JsonNode list(String base) throws Exception {
        return get(base, "/vms");
    }

    private void delete(String base, String id) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(base + "/vms/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }

    private void awaitGone(String base, String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < until) {
            if (http.send(HttpRequest.newBuilder(URI.create(base + "/vms/" + id)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 404) return;
            Thread.sleep(250);
        }
        throw new AssertionError(id + " not gone within 60 s");
    }

    private JsonNode awaitStatus(String base, String id, String status, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        JsonNode vm;
        do {
            vm = get(base, "/vms/" + id);
            if (status.equals(vm.get("status").asText())) return vm;
            Thread.sleep(250);
        } while (System.nanoTime() < until);
        throw new AssertionError("not " + status + " within " + timeout + ": " + vm);
    }

    private static String code(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).get("code").asText();
    }
}
