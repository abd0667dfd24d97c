package dev.hangar.api.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.core.Problem;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.RunningOperation;
import dev.hangar.core.vms.VmServiceTest.InMemoryOperationStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /operations over HTTP: read, wait for and cancel an operation by its id. */
class OperationsFaceTest {
    final Operations operations = new Operations(new InMemoryOperationStore(), Clock.systemUTC());
    final ApiServer server = new ApiServer();
    final HttpClient http = HttpClient.newHttpClient();
    String base;

    @BeforeEach
    void start() throws Exception {
        new OperationsFace(operations).register(server);
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        base = "http://127.0.0.1:" + server.address().getPort() + "/operations/";
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void aDeleteCancelsARunningOperation202AndItEndsFailedOperationCancelled() throws Exception {
        AtomicInteger cancels = new AtomicInteger();
        RunningOperation op = operations.begin("image.build", "i", cancels::incrementAndGet);
        assertEquals(true, json(send("GET", op.id().toString())).get("may_cancel").booleanValue());

        HttpResponse<String> cancelled = send("DELETE", op.id().toString());

        assertEquals(202, cancelled.statusCode(), cancelled.body());
        assertEquals("running", json(cancelled).get("status").textValue());
        assertEquals("cancelling", json(cancelled).get("phase").textValue());
        assertEquals(false, json(cancelled).get("may_cancel").booleanValue());
        assertEquals(1, cancels.get());
        op.failed(new Problem("build-cancelled", "the build was cancelled"));
        JsonNode ended = json(send("GET", op.id() + "/wait?timeout=5"));
        assertEquals("failed", ended.get("status").textValue());
        assertEquals("operation-cancelled", ended.get("error").get("code").textValue());
        HttpResponse<String> again = send("DELETE", op.id().toString());
        assertEquals(409, again.statusCode());
        assertEquals("operation-finished", json(again).get("code").textValue());
    }

    @Test
    void aWaitAnswersAtItsTimeoutWithTheOperationStillRunningAndBadTimeoutsAre400() throws Exception {
        RunningOperation deletion = operations.begin("vm.delete", "a");

        JsonNode still = json(send("GET", deletion.id() + "/wait?timeout=0"));
        HttpResponse<String> notCancellable = send("DELETE", deletion.id().toString());

        assertEquals("running", still.get("status").textValue());
        assertEquals(false, still.get("may_cancel").booleanValue());
        assertEquals(409, notCancellable.statusCode());
        assertEquals("operation-not-cancellable", json(notCancellable).get("code").textValue());
        for (String bad : new String[] {"-1", "601", "soon", "1&timeout=2"}) {
            HttpResponse<String> r = send("GET", deletion.id() + "/wait?timeout=" + bad);
            assertEquals(400, r.statusCode(), bad);
            assertEquals("invalid-timeout", json(r).get("code").textValue(), bad);
        }
        assertEquals(404, send("GET", "not-a-uuid/wait").statusCode());
        assertTrue(json(send("DELETE", java.util.UUID.randomUUID().toString())).get("code").textValue().equals("operation-not-found"));
    }
}
