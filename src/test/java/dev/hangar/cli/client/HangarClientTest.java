package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the client reads the service's errors and its event stream, and what it sends (against a loopback stub). */
class HangarClientTest {
    private record Seen(String method, String path, String contentType, String authorization, String body) {}

    /** A loopback HTTP server that records each request and answers with {@code status} and {@code body}. */
    private static com.sun.net.httpserver.HttpServer stub(List<Seen> seen, int status, String body) throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestHeaders().getFirst("Content-Type"),
                    ex.getRequestHeaders().getFirst("Authorization"), new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            if (status == 401) ex.getResponseHeaders().add("WWW-Authenticate", "OAuth realm=\"hangar\"");
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        return server;
    }

    @Test
    void aWriteSendsItsJsonSignedAndReadsTheAnswer() throws Exception {
        List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
        com.sun.net.httpserver.HttpServer server = stub(seen, 202, "{\"id\": \"v1\"}");
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            HangarClient client = new HangarClient(base, null, new dev.hangar.security.OAuth1Signer("k", "s"));
            JsonNode answer = client.post("/networks/" + HangarClient.escape("vlan:7"), JSON_BODY);
            assertEquals("v1", answer.path("id").asText());
            client.delete("/hosts/h1");
            assertEquals("POST", seen.get(0).method());
            assertEquals("/networks/vlan%3A7", seen.get(0).path());
            assertEquals("application/json", seen.get(0).contentType());
            assertEquals("{\"bridge\":\"b\"}", seen.get(0).body());
            assertTrue(seen.get(0).authorization().startsWith("OAuth ") && seen.get(0).authorization().contains("oauth_consumer_key=\"k\""));
            assertEquals("DELETE", seen.get(1).method());
            assertEquals("", seen.get(1).body());
        } finally {
            server.stop(0);
        }
    }

    private static final JsonNode JSON_BODY = HangarClient.JSON.createObjectNode().put("bridge", "b");

    @Test
    void aRefusalBecomesAFailureWithTheServicesCode() throws Exception {
        com.sun.net.httpserver.HttpServer server = stub(Collections.synchronizedList(new ArrayList<>()), 409,
                "{\"code\": \"network-exists\", \"message\": \"a network named n exists\"}");
        try {
            HangarClient client = new HangarClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), null, null);
            HangarClient.Failure f = assertThrows(HangarClient.Failure.class, () -> client.post("/networks/n", JSON_BODY));
            assertEquals(409, f.status());
            assertEquals("network-exists", f.code());
            assertEquals("a network named n exists", f.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anUnsignedWriteRefused401StillSaysTheServicesCode() throws Exception {
        com.sun.net.httpserver.HttpServer server = stub(Collections.synchronizedList(new ArrayList<>()), 401,
                "{\"code\": \"oauth-missing\", \"message\": \"sign the request\"}");
        try {
            HangarClient client = new HangarClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), null, null);
            HangarClient.Failure f = assertThrows(HangarClient.Failure.class, () -> client.post("/vms", JSON_BODY));
            assertEquals("oauth-missing", f.code());
            assertEquals("sign the request", f.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theEventStreamIsOpenBeforeItsFirstEventIsHandedOn() throws Exception {
        com.sun.net.httpserver.HttpServer server = stub(Collections.synchronizedList(new ArrayList<>()), 200,
                ": hangar events\n\nevent: vm\ndata: {\"id\": \"a\"}\n\n");
        try {
            HangarClient client = new HangarClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), null, null);
            List<String> seen = new ArrayList<>();
            client.events(List.of("vm"), () -> seen.add("open"), (type, data) -> seen.add(type + " " + data.path("id").asText()));
            assertEquals(List.of("open", "vm a"), seen);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anErrorBodyBecomesItsCodeAndMessage() {
        HangarClient.Failure f = HangarClient.failure(404, "{\"code\": \"vm-not-found\", \"message\": \"no VM x\"}");
        assertEquals(404, f.status());
        assertEquals("vm-not-found", f.code());
        assertEquals("no VM x", f.getMessage());
    }

    @Test
    void anAnswerThatIsNoErrorObjectStillSaysSomething() {
        HangarClient.Failure proxy = HangarClient.failure(502, "<html>Bad Gateway</html>");
        assertEquals("http-502", proxy.code());
        assertEquals("<html>Bad Gateway</html>", proxy.getMessage());
        assertEquals("HTTP 500", HangarClient.failure(500, "").getMessage());
    }

    @Test
    void eventsAreReadWithTheirTypeCommentsSkipped() throws Exception {
        String stream = """
                : hangar events

                event: vm
                data: {"type": "vm", "id": "a", "status": "creating"}

                : keepalive

                event: operation
                data: {"type": "operation", "target": "a", "progress": 10}

                """;
        List<String> seen = new ArrayList<>();
        ServerSentEvents.read(new BufferedReader(new StringReader(stream)), (String type, JsonNode data) -> seen.add(type + " " + data));
        assertEquals(List.of("vm {\"type\":\"vm\",\"id\":\"a\",\"status\":\"creating\"}",
                "operation {\"type\":\"operation\",\"target\":\"a\",\"progress\":10}"), seen);
    }
}
