package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the client reads the service's errors and its event stream. */
class HangarClientTest {
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
