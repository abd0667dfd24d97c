package dev.hangar.api.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.api.ops.HealthFace;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmStatus;
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

    /** Opens a stream from this source address, as this client (X-Client, which the test's guard trusts); its status line. */
    private static String streamFrom(int port, String source, String client, List<java.net.Socket> held) throws Exception {
        java.net.Socket s = new java.net.Socket();
        held.add(s);
        s.bind(new InetSocketAddress(source, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(5000);
        s.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (client == null ? "" : "X-Client: " + client + "\r\n")
                + "\r\n").getBytes(StandardCharsets.UTF_8));
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    @Test
    void oneAddressOrOneClientCannotTakeEveryStream() throws Exception {
        ApiServer guarded = new ApiServer().guard(ex -> ex.header("X-Client") != null ? ApiServer.Admission.as(ex.header("X-Client"))
                : ApiServer.Admission.open());
        events.register(guarded);
        guarded.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = guarded.address().getPort();
        List<java.net.Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < EventsFace.MAX_STREAMS_PER_SOURCE; i++) assertEquals("HTTP/1.1 200 OK", streamFrom(port, "127.0.0.2", null, held));
            assertEquals("HTTP/1.1 429 Too Many Requests", streamFrom(port, "127.0.0.2", null, held), "one address holds eight");
            assertEquals("HTTP/1.1 200 OK", streamFrom(port, "127.0.0.3", null, held), "another address still gets one");
            // One client over three addresses: sixteen, then no more, wherever it asks from.
            for (int i = 0; i < EventsFace.MAX_STREAMS_PER_CLIENT; i++) {
                assertEquals("HTTP/1.1 200 OK", streamFrom(port, "127.0.1." + (1 + i / EventsFace.MAX_STREAMS_PER_SOURCE), "ci", held));
            }
            assertEquals("HTTP/1.1 429 Too Many Requests", streamFrom(port, "127.0.1.9", "ci", held));
            assertEquals("HTTP/1.1 200 OK", streamFrom(port, "127.0.1.9", "ops", held), "another client still gets one");
        } finally {
            for (java.net.Socket s : held) s.close();
            guarded.close();
        }
    }

    @Test
    void aHeadOfTheStreamGetsItsHeadersAndEndsAtOnce() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events")).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().toString());
        assertEquals("", r.body());
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
