package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.testing.ImageServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Templates and groups end to end, on real QEMU guests with real addresses: a group of three comes up
 * and runs its init script (cloud-init user-data on a cidata disk), heals when a member's QEMU is killed
 * outside Hangar, scales 3 → 1 → 2, rolls onto new settings one member at a time through a kill of the
 * service, and leaves nothing when deleted. The machine driver does not matter to groups: QEMU only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(900)
class GroupsEndToEndTest {
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration BOOT = Duration.ofSeconds(180);
    /** Runs in the guest at boot from the cidata disk: the page then names the VM's instance-id from meta-data. */
    private static final String USER_DATA = "#!/bin/sh\n"
            + "echo \"cloud-init ran for $(sed -n 's/^instance-id: //p' /mnt/cidata/meta-data)\" > /www/index.html\n";

    @TempDir
    static Path data;
    static ImageServer images;
    static HangarProcess hangar;
    static ObjectNode image;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null,
                "end-to-end tests make bridges: run them through ./test, which gives them a network namespace");
        images = new ImageServer();
        Path box = TestImages.directBoot();
        image = Json.MAPPER.createObjectNode().put("url", images.serve("/images/direct-boot.tar.gz", box))
                .put("checksum", TestImages.sha256(box)).put("checksum_type", "sha256");
        // Bridges of its own, clear of the other suites' services in the same namespace.
        hangar = new HangarProcess(data.resolve("hangar"), "--delete-grace", "3", "--max-image-size", "200mib",
                "--nat-bridge", "hgg0", "--nat-subnet", "10.221.0.0/24", "--hostonly-bridge", "hgg1",
                "--hostonly-subnet", "10.222.0.0/24").start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (hangar != null) {
            for (JsonNode g : call("GET", "/groups", null).json()) call("DELETE", "/groups/" + g.get("name").textValue(), null);
            awaitTrue(() -> call("GET", "/vms", null).json().isEmpty(), Duration.ofSeconds(60), "every VM is gone");
            System.out.println("---- service log ----\n" + hangar.log());
            hangar.close();
            Processes.endDaemons(hangar.dataDir());
        }
        if (images != null) images.close();
    }

    @Test
    @Order(1)
    void aGroupOfThreeRunsItsInitScriptHealsScalesAndLeavesNothingWhenDeleted() throws Exception {
        ObjectNode template = Json.MAPPER.createObjectNode().put("name", "web").put("memory", "256mib").put("user_data", USER_DATA);
        template.set("image", image);
        template.putObject("tags").put("role", "web");
        assertEquals(201, call("POST", "/templates", template.toString()).status());
        Reply created = call("POST", "/groups", "{\"name\": \"web\", \"template\": \"web\", \"size\": 3}");
        assertEquals(201, created.status(), created.text());

        JsonNode up = awaitGroup("web", g -> g.get("ready").intValue() == 3 && g.get("plan").textValue().startsWith("steady"));
        List<String> first = memberIds(up);
        for (JsonNode m : up.get("members")) {
            String id = m.get("id").textValue();
            JsonNode vm = call("GET", "/vms/" + id, null).json();
            assertEquals("web", vm.get("tags").get("infrakit.group").textValue());
            assertEquals("web", vm.get("tags").get("role").textValue(), "the template's tags too");
            assertEquals(up.get("config_hash").textValue(), vm.get("tags").get("infrakit.config.hash").textValue());
            assertTrue(vm.get("cloud_init").booleanValue());
            assertEquals("cloud-init ran for " + id, awaitPage(m.get("ip_address").textValue(), "cloud-init ran"),
                    "the user-data ran in the guest and read its instance-id from the seed's meta-data");
        }

        // A member killed outside Hangar is replaced; the dead one is destroyed, not kept.
        String victim = first.getFirst();
        long pid = Processes.qemuOf(victim).orElseThrow();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        JsonNode healed = awaitGroup("web", g -> g.get("ready").intValue() == 3 && !memberIds(g).contains(victim));
        assertEquals(3, healed.get("actual").intValue());
        assertEquals(404, call("GET", "/vms/" + victim, null).status());
        assertTrue(healed.get("events").toString().contains("removed member " + victim), healed.get("events").toString());

        assertEquals(200, call("PUT", "/groups/web/size", "{\"size\": 1}").status());
        awaitGroup("web", g -> g.get("actual").intValue() == 1 && g.get("ready").intValue() == 1);
        assertEquals(200, call("PUT", "/groups/web/size", "{\"size\": 2}").status());
        JsonNode two = awaitGroup("web", g -> g.get("ready").intValue() == 2);
        assertEquals(2, call("GET", "/vms?tag=infrakit.group=web&tag=role=web", null).json().size(), "the tag filter is AND");
        assertEquals(0, call("GET", "/vms?tag=infrakit.group=web&tag=role=db", null).json().size());

        assertEquals(409, call("DELETE", "/templates/web", null).status(), "a template a group uses stays");
        List<String> last = memberIds(two);
        List<Long> pids = last.stream().map(id -> Processes.qemuOf(id).orElseThrow()).toList();
        assertEquals(202, call("DELETE", "/groups/web", null).status());
        assertEquals(404, call("GET", "/groups/web", null).status());
        awaitTrue(() -> call("GET", "/vms?tag=infrakit.group=web", null).json().isEmpty(), Duration.ofSeconds(60), "members destroyed");
        for (String id : last) assertFalse(Files.exists(hangar.dataDir().resolve("vms").resolve(id)), "no files left of " + id);
        for (long p : pids) assertFalse(Processes.running(p), "no QEMU left: " + p);
        assertEquals(204, call("DELETE", "/templates/web", null).status());
    }

    @Test
    @Order(2)
    void aRollingUpdateReplacesTheMembersOneAtATimeThroughAKillOfTheService() throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode().put("name", "api").put("size", 3);
        ObjectNode settings = body.putObject("settings").put("memory", "256mib");
        settings.set("image", image);
        settings.putObject("tags").put("version", "1");
        assertEquals(201, call("POST", "/groups", body.toString()).status());
        JsonNode v1 = awaitGroup("api", g -> g.get("ready").intValue() == 3 && g.get("plan").textValue().startsWith("steady"));
        Set<String> old = new HashSet<>(memberIds(v1));

        settings.putObject("tags").put("version", "2");
        Reply update = call("PUT", "/groups/api", "{\"settings\": " + settings + "}");
        assertEquals(200, update.status(), update.text());
        assertTrue(update.json().get("plan").textValue().startsWith("rolling 1 of 3"), update.text());

        // Watch the roll until the first new member serves, then kill the service in the middle of it.
        List<Integer> counts = new ArrayList<>();
        awaitGroup("api", g -> {
            counts.add(g.get("actual").intValue());
            return g.get("outdated").intValue() <= 2 && g.get("outdated").intValue() >= 1;
        });
        hangar.kill();
        hangar.start();
        JsonNode v2 = awaitGroup("api", g -> {
            counts.add(g.get("actual").intValue());
            return g.get("outdated").intValue() == 0 && g.get("ready").intValue() == 3 && g.get("plan").textValue().startsWith("steady");
        });
        assertTrue(counts.stream().allMatch(n -> n >= 3 && n <= 4), "never fewer than 3 nor more than 4 members: " + counts);
        for (String id : memberIds(v2)) {
            assertFalse(old.contains(id), "every member was replaced");
            assertEquals("2", call("GET", "/vms/" + id, null).json().get("tags").get("version").textValue());
        }
        // The last outdated member may still be on its way out (deleting): once it is gone, three remain.
        awaitTrue(() -> call("GET", "/vms?tag=infrakit.group=api", null).json().size() == 3, Duration.ofSeconds(30),
                "no member doubled or lost across the restart: " + call("GET", "/vms?tag=infrakit.group=api", null).text());
        assertTrue(v2.get("events").toString().contains("rolled"), v2.get("events").toString());
        assertEquals(202, call("DELETE", "/groups/api", null).status());
        awaitTrue(() -> call("GET", "/vms?tag=infrakit.group=api", null).json().isEmpty(), Duration.ofSeconds(60), "members destroyed");
    }

    private static List<String> memberIds(JsonNode group) {
        List<String> ids = new ArrayList<>();
        group.get("members").forEach(m -> ids.add(m.get("id").textValue()));
        return ids;
    }

    /** The guest's page once it holds the text (the user-data runs a moment after the address is up). */
    private static String awaitPage(String ip, String text) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String page = Guests.page(ip).strip();
        while (!page.contains(text) && System.nanoTime() < until) {
            Thread.sleep(500);
            page = Guests.page(ip).strip();
        }
        return page;
    }

    private static JsonNode awaitGroup(String name, Predicate<JsonNode> condition) throws Exception {
        long until = System.nanoTime() + BOOT.toNanos();
        JsonNode g = null;
        while (System.nanoTime() < until) {
            Reply r = call("GET", "/groups/" + name, null);
            if (r.status() == 200) {
                g = r.json();
                if (condition.test(g)) return g;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("group " + name + " did not get there within " + BOOT + ": " + g);
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(Check check, Duration timeout, String what) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > until) throw new AssertionError(what + ": not within " + timeout);
            Thread.sleep(300);
        }
    }

    record Reply(int status, String text) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(text);
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
