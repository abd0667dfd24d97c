package dev.hangar.api.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.api.ops.HealthFace;
import dev.hangar.core.Operation;
import dev.hangar.core.Vm;
import dev.hangar.core.VmStatus;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /events as a client reads it (a real server, a real stream), and /healthz, /readyz. */
class EventsFaceTest {
    private final ApiServer server = new ApiServer();
    private final EventsFace events = new EventsFace(Clock.systemUTC());
    private final HttpClient http = HttpClient.newHttpClient();
    private volatile String databaseProblem;
    private String base;

    @BeforeEach
    void start() throws Exception {
        events.register(server);
        new HealthFace(List.of(new HealthFace.Check("database", () -> databaseProblem),
                new HealthFace.Check("hypervisor", () -> null))).register(server);
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Opens the stream and waits until the service counts it, so nothing published after is missed. */
    private BufferedReader open(String query) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events" + query)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertEquals(": hangar events", in.readLine());
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (events.listeners() == 0 && System.nanoTime() < until) Thread.sleep(10);
        return in;
    }

    /** The next event's name and its JSON. */
    private static JsonNode next(BufferedReader in, String expectedEvent) throws Exception {
        String line;
        while ((line = in.readLine()) != null && (line.isEmpty() || line.startsWith(":"))) {
            // blank separators and comments
        }
        assertEquals("event: " + expectedEvent, line);
        String data = in.readLine();
        assertTrue(data.startsWith("data: "), data);
        return Json.MAPPER.readTree(data.substring("data: ".length()));
    }

    @Test
    void aListenerSeesEveryVmChangeAndOperationInOrderAndAFilterKeepsOneType() throws Exception {
        BufferedReader all = open("");
        BufferedReader vmsOnly = open("?type=vm");
        UUID id = UUID.randomUUID();
        Operation op = Operation.start(UUID.randomUUID(), "vm.create", id.toString(), Instant.now());
        events.vmChanged(Vm.builder().id(id).name("web-1").status(VmStatus.CREATING).createdAt(Instant.now()).build());
        events.operationChanged(op.at(40, "downloading", Instant.now()));
        events.vmChanged(Vm.builder().id(id).name("web-1").status(VmStatus.POWERED_ON).ipAddress("10.213.0.9").createdAt(Instant.now()).build());

        JsonNode first = next(all, "vm");
        assertEquals(id.toString(), first.get("id").asText());
        assertEquals("creating", first.get("status").asText());
        JsonNode progress = next(all, "operation");
        assertEquals(40, progress.get("progress").asInt());
        assertEquals("downloading", progress.get("phase").asText());
        assertEquals("10.213.0.9", next(all, "vm").get("ip_address").asText());

        assertEquals("creating", next(vmsOnly, "vm").get("status").asText());
        assertEquals("powered-on", next(vmsOnly, "vm").get("status").asText(), "the operation was left out");
    }

    @Test
    void anUnknownTypeIsACodedError() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events?type=vms")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertEquals("invalid-event-type", Json.MAPPER.readTree(r.body()).get("code").asText());
    }

    @Test
    void healthzIsUpAndReadyzNamesWhatIsNotUsable() throws Exception {
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode());
        assertEquals("ok", Json.MAPPER.readTree(ready.body()).get("checks").get("database").asText());
        databaseProblem = "cannot open hangar.db";
        HttpResponse<String> notReady = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, notReady.statusCode());
        JsonNode body = Json.MAPPER.readTree(notReady.body());
        assertEquals("not-ready", body.get("status").asText());
        assertEquals("cannot open hangar.db", body.get("checks").get("database").asText());
        assertEquals("ok", body.get("checks").get("hypervisor").asText());
    }
}
