package dev.hangar.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log stays bounded whatever a client sends: cut paths, rotated files, folded storms. */
class AuditLogTest {
    @TempDir
    Path dir;
    private final AtomicLong now = new AtomicLong(Instant.parse("2026-12-07T10:00:00Z").toEpochMilli());
    private final Clock clock = new Clock() {
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return Instant.ofEpochMilli(now.get()); }
    };
    private final HttpClient http = HttpClient.newHttpClient();
    private ApiServer server;

    /** A server whose writes are refused 401 (as unsigned writes are), recorded in a log of maxBytes. */
    private AuditLog serve(long maxBytes) throws Exception {
        AuditLog audit = new AuditLog(dir.resolve("audit.log"), clock, maxBytes);
        server = new ApiServer().guard(ex -> ex.isWrite() ? ApiServer.Admission.refused(401, "oauth-missing", "sign it", Map.of())
                : ApiServer.Admission.open()).recorder(audit);
        server.route("POST", "/vms", ex -> ex.json(201, Map.of()));
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return audit;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private int post(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The file's lines once the last request's line is there (a request is recorded just after its answer). */
    private List<JsonNode> lines(Path file, int atLeast) throws Exception {
        long until = System.nanoTime() + 5_000_000_000L;
        while ((!Files.exists(file) || Files.readAllLines(file).size() < atLeast) && System.nanoTime() < until) Thread.sleep(20);
        Thread.sleep(50); // and nothing more comes
        return lines(file);
    }

    private List<JsonNode> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
    }

    @Test
    void aLongPathIsCutKeepingItsLengthAndTheFileIsTheOperatorsAlone() throws Exception {
        serve(AuditLog.DEFAULT_MAX_BYTES);
        assertEquals(401, post("/vms/" + "a".repeat(15_000)));
        JsonNode line = lines(dir.resolve("audit.log"), 1).getFirst();
        assertEquals(AuditLog.MAX_PATH + 1, line.get("path").textValue().length(), "256 characters and an ellipsis");
        assertEquals(15_005, line.get("path_length").intValue());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("audit.log"))));
    }

    @Test
    void aStormOfRefusalsFromOneAddressIsOneLineASecond() throws Exception {
        AuditLog audit = serve(AuditLog.DEFAULT_MAX_BYTES);
        for (int i = 0; i < 200; i++) assertEquals(401, post("/vms"));
        lines(dir.resolve("audit.log"), AuditLog.REFUSALS_PER_SECOND);
        Thread.sleep(300); // the last refusals are recorded just after their answers
        now.addAndGet(1000);
        audit.flush(clock.millis() / 1000);
        List<JsonNode> lines = lines(dir.resolve("audit.log"));
        assertEquals(AuditLog.REFUSALS_PER_SECOND + 1, lines.size(), "ten lines, then one for the rest: " + lines);
        JsonNode folded = lines.getLast();
        assertEquals("refusals-folded", folded.get("event").textValue());
        assertEquals(190, folded.get("count").intValue());
        assertEquals("127.0.0.1", folded.get("remote").textValue());
        assertEquals(401, post("/vms"));
        assertEquals(AuditLog.REFUSALS_PER_SECOND + 2, lines(dir.resolve("audit.log"), AuditLog.REFUSALS_PER_SECOND + 2).size(),
                "the next second starts afresh");
    }

    @Test
    void theLogIsRotatedBySizeKeepingFiveFiles() throws Exception {
        serve(4096);
        for (int i = 0; i < 150; i++) {
            now.addAndGet(1000); // a second apart: nothing is folded
            assertEquals(401, post("/vms/" + i));
        }
        for (String name : List.of("audit.log", "audit.log.1", "audit.log.2", "audit.log.3", "audit.log.4")) {
            assertTrue(Files.exists(dir.resolve(name)), name);
            assertTrue(Files.size(dir.resolve(name)) <= 4096, name + " within its size");
        }
        assertFalse(Files.exists(dir.resolve("audit.log.5")));
        Thread.sleep(200);
        List<JsonNode> newest = lines(dir.resolve("audit.log"));
        assertEquals("/vms/149", newest.getLast().get("path").textValue(), "the newest line is in audit.log");
    }
}
