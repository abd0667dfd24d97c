package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.testing.ImageServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm starts against real QEMU (see docs/warm-starts.md): an image marked warm gets a memory template
 * (booted on the isolated templates' network, paused, its state saved); creates then restore from it,
 * each clone with its own MAC, address and hostname, answering on its own address; a template whose
 * state is damaged makes the create boot cold, not fail; a restart adopts warm VMs and keeps the
 * template; a pool hands out a spare and refills; pruning the image takes its templates with it.
 */
class WarmStartEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void warmClonesAnswerOnTheirOwnAddressesWithIdentitiesOfTheirOwn() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        // As /var/lib is: a template's QEMU, by then its own uid, reopens its disk when it saves its state.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        try (ImageServer images = new ImageServer();
             HangarProcess hangar = new HangarProcess(dir.resolve("data"), "--delete-grace", "0", "--max-image-size", "200mib").start()) {
            String base = hangar.base();
            Path image = TestImages.directBoot();
            String body = "{\"image\": {\"url\": \"" + images.serve("/direct-boot.tar.gz", image) + "\", \"checksum\": \""
                    + TestImages.sha256(image) + "\", \"checksum_type\": \"sha256\"}}";
            try {
                // A cold create caches the image; marking it warm before that would find nothing to mark.
                JsonNode cold = awaitAddress(base, create(base, body));
                assertEquals("cold", cold.path("start").asText(), cold.toString());
                String key = JSON.readTree(get(base, "/images").body()).path("images").get(0).path("key").asText();
                delete(base, cold.path("id").asText());

                HttpResponse<String> unknown = send(base, "PUT", "/images/sha256-0000/warm", "{\"enabled\": true}");
                assertEquals(404, unknown.statusCode(), unknown.body());
                assertEquals("image-not-found", JSON.readTree(unknown.body()).path("code").asText());
                HttpResponse<String> noFlag = send(base, "PUT", "/images/" + key + "/warm", "{\"pool\": 1}");
                assertEquals(400, noFlag.statusCode(), noFlag.body());
                assertEquals("invalid-warm", JSON.readTree(noFlag.body()).path("code").asText());
                HttpResponse<String> hugePool = send(base, "PUT", "/images/" + key + "/warm", "{\"enabled\": true, \"pool\": 1000}");
                assertEquals(400, hugePool.statusCode(), hugePool.body());
                assertEquals("invalid-pool", JSON.readTree(hugePool.body()).path("code").asText());

                HttpResponse<String> marked = send(base, "PUT", "/images/" + key + "/warm", "{\"enabled\": true}");
                assertEquals(200, marked.statusCode(), marked.body());
                assertTrue(JSON.readTree(marked.body()).path("enabled").asBoolean(), marked.body());
                JsonNode template = awaitTemplate(base, key);
                assertEquals("ready", template.path("state").asText(), template.toString());

                // Two clones at once from the one template.
                String idA = create(base, body);
                String idB = create(base, body);
                JsonNode a = awaitAddress(base, idA);
                JsonNode b = awaitAddress(base, idB);
                assertEquals("warm", a.path("start").asText(), a + "\n" + hangar.log());
                String counted = get(base, "/metrics").body();
                assertTrue(counted.contains("hangar_vm_starts_total{start=\"warm\"} 2.0") && counted.contains("hangar_vm_starts_total{start=\"cold\"} 1.0"),
                        counted);
                assertEquals("warm", b.path("start").asText(), b.toString());
                assertNotEquals(a.path("ip_address").asText(), b.path("ip_address").asText(), "two clones, two addresses");
                String pageA = Guests.page(a.path("ip_address").asText());
                String pageB = Guests.page(b.path("ip_address").asText());
                // Each names its own hostname (the template's was the image's, hangar-test).
                assertTrue(pageA.startsWith("hangar-guest-ok ") && !pageA.contains("hangar-test"), pageA);
                assertTrue(pageB.startsWith("hangar-guest-ok ") && !pageB.contains("hangar-test"), pageB);
                assertNotEquals(pageA, pageB);
                Path vmsDir = hangar.dataDir().resolve("vms");
                String cmdA = Files.readString(vmsDir.resolve(idA).resolve("qemu.cmdline"));
                String cmdB = Files.readString(vmsDir.resolve(idB).resolve("qemu.cmdline"));
                assertNotEquals(guid(cmdA), guid(cmdB), "each clone has a VM generation id of its own");
                assertTrue(cmdA.contains("share=off") && cmdA.contains("-incoming"), cmdA);

                // A restart (a kill: nothing is said goodbye) adopts warm VMs like any other and keeps the template.
                hangar.kill();
                hangar.start();
                JsonNode adopted = await(base, "/vms/" + idA, vm -> vm.path("status").asText().equals("powered-on"), Duration.ofSeconds(60));
                assertEquals(a.path("ip_address").asText(), adopted.path("ip_address").asText(), adopted.toString());
                assertEquals("warm", adopted.path("start").asText(), adopted.toString());
                assertEquals(pageA, Guests.page(a.path("ip_address").asText()));
                assertEquals("ready", awaitTemplate(base, key).path("state").asText());
                delete(base, idA);
                delete(base, idB);

                // A pool: a spare made ahead (restored, addressed, paused); a create takes it and only runs it on,
                // with its clock set; the pool refills behind it. Emptied again before the next step.
                HttpResponse<String> pooled = send(base, "PUT", "/images/" + key + "/warm", "{\"enabled\": true, \"pool\": 1}");
                assertEquals(200, pooled.statusCode(), pooled.body());
                await(base, "/images/" + key, i -> i.path("warm").path("pool_ready").asInt() == 1, Duration.ofSeconds(120));
                String metrics = get(base, "/metrics").body();
                assertTrue(metrics.contains("hangar_warm_pool_spares 1.0"), metrics);
                var resident = java.util.regex.Pattern.compile("(?m)^hangar_warm_pool_resident_bytes (\\S+)$").matcher(metrics);
                assertTrue(resident.find() && Double.parseDouble(resident.group(1)) > 16 * 1024 * 1024, "a spare holds its memory: " + metrics);
                String idP = create(base, body);
                JsonNode fromPool = awaitAddress(base, idP);
                assertEquals("warm", fromPool.path("start").asText(), fromPool.toString());
                assertEquals("hangar-guest-ok vm-" + idP.substring(0, 8), Guests.page(fromPool.path("ip_address").asText()).strip(),
                        "the spare was made for this id: its hostname is the VM's");
                await(base, "/images/" + key, i -> i.path("warm").path("pool_ready").asInt() == 1, Duration.ofSeconds(120));
                delete(base, idP);
                send(base, "PUT", "/images/" + key + "/warm", "{\"enabled\": true, \"pool\": 0}");
                await(base, "/images/" + key, i -> i.path("warm").path("pool_ready").asInt() == 0, Duration.ofSeconds(60));

                // A new gold (the same image compressed again: another checksum, so another gold) gets a template of
                // its own, under another key, though its shape is the same: a template is bound to its gold.
                Path regzipped = dir.resolve("direct-boot-again.tar.gz");
                new ProcessBuilder("sh", "-c", "gzip -dc \"$0\" | gzip -1 > \"$1\"", image.toString(), regzipped.toString())
                        .inheritIO().start().waitFor();
                String otherImage = "{\"url\": \"" + images.serve("/direct-boot-again.tar.gz", regzipped) + "\", \"checksum\": \""
                        + TestImages.sha256(regzipped) + "\", \"checksum_type\": \"sha256\"}";
                String otherKey = "sha256-" + TestImages.sha256(regzipped);
                // Asked by a group's template this time: its first member fetches the image, and its wish marks it warm.
                HttpResponse<String> wish = send(base, "POST", "/templates", "{\"name\": \"warm-web\", \"memory\": \"256mib\", \"image\": "
                        + otherImage + ", \"warm\": {\"enabled\": true}}");
                assertEquals(201, wish.statusCode(), wish.body());
                assertTrue(JSON.readTree(get(base, "/templates/warm-web").body()).path("warm").path("enabled").asBoolean());
                HttpResponse<String> group = send(base, "POST", "/groups", "{\"name\": \"warm-web\", \"template\": \"warm-web\", \"size\": 1}");
                assertTrue(group.statusCode() / 100 == 2, group.body());
                JsonNode otherTemplate = await(base, "/images/" + otherKey, i -> Stream.of("ready", "failed")
                        .anyMatch(st -> i.path("warm").path("templates").path(0).path("state").asText().equals(st)), Duration.ofSeconds(240))
                        .path("warm").path("templates").path(0);
                assertEquals("ready", otherTemplate.path("state").asText(), otherTemplate.toString());
                assertNotEquals(template.path("key").asText(), otherTemplate.path("key").asText());
                send(base, "DELETE", "/groups/warm-web", "");
                await(base, "/vms", list -> list.isEmpty(), Duration.ofSeconds(120));
                send(base, "DELETE", "/templates/warm-web", "");
                send(base, "PUT", "/images/" + otherKey + "/warm", "{\"enabled\": false}");

                // A damaged template: the create boots cold, with the reason in its operation, and still answers.
                Path templates = hangar.dataDir().resolve("images").resolve(key).resolve("templates");
                Path state;
                try (Stream<Path> s = Files.list(templates)) {
                    state = s.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).findFirst().orElseThrow().resolve("state");
                }
                Files.write(state, new byte[] {'n', 'o', 't', ' ', 'a', ' ', 's', 't', 'a', 't', 'e'});
                String idC = create(base, body);
                JsonNode c = awaitAddress(base, idC);
                assertEquals("cold", c.path("start").asText(), c.toString());
                JsonNode creation = null;
                for (JsonNode op : JSON.readTree(get(base, "/operations").body())) {
                    if (op.path("target").asText().equals(idC) && op.path("kind").asText().equals("vm.create")) creation = op;
                }
                assertTrue(creation != null && creation.path("phase").asText().contains("the warm start failed"), String.valueOf(creation));
                assertTrue(Guests.page(c.path("ip_address").asText()).startsWith("hangar-guest-ok"));
                delete(base, idC);

                HttpResponse<String> pruned = send(base, "POST", "/images/prune", "");
                assertEquals(200, pruned.statusCode(), pruned.body());
                assertFalse(Files.exists(templates), "the image's templates go with it");
            } finally {
                System.out.println("---- service log ----\n" + hangar.log());
                Processes.endDaemons(hangar.dataDir());
            }
        }
    }

    private static String guid(String cmdline) {
        var m = java.util.regex.Pattern.compile("vmgenid,guid=([0-9a-f-]+)").matcher(cmdline);
        assertTrue(m.find(), cmdline);
        return m.group(1);
    }

    private String create(String base, String body) throws Exception {
        HttpResponse<String> created = send(base, "POST", "/vms", body);
        assertEquals(202, created.statusCode(), created.body());
        return JSON.readTree(created.body()).path("id").asText();
    }

    private JsonNode awaitAddress(String base, String id) throws Exception {
        return await(base, "/vms/" + id, vm -> !vm.path("ip_address").asText().isEmpty() || vm.path("status").asText().equals("error"),
                Duration.ofSeconds(180));
    }

    /** The image's first template once it is ready or failed. */
    private JsonNode awaitTemplate(String base, String key) throws Exception {
        JsonNode image = await(base, "/images/" + key, i -> Stream.of("ready", "failed")
                .anyMatch(s -> i.path("warm").path("templates").path(0).path("state").asText().equals(s)), Duration.ofSeconds(240));
        return image.path("warm").path("templates").path(0);
    }

    private JsonNode await(String base, String path, Predicate<JsonNode> done, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < until) {
            last = JSON.readTree(get(base, path).body());
            if (done.test(last)) return last;
            Thread.sleep(100);
        }
        throw new AssertionError(path + " did not get there within " + timeout + ": " + last);
    }

    private void delete(String base, String id) throws Exception {
        send(base, "DELETE", "/vms/" + id, "");
        await(base, "/vms", list -> !list.toString().contains(id), Duration.ofSeconds(60));
    }

    private HttpResponse<String> get(String base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String base, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json");
        b.method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
