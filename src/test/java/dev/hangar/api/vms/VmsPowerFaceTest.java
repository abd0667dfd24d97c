package dev.hangar.api.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.api.ApiServer;
import dev.hangar.core.InMemoryCore;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmRequest;
import dev.hangar.core.vms.VmStatus;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM's power and exec routes as scripts call them, over raw HTTP/1.1: no body and no Content-Type
 * (curl -X POST), a form type (curl -d), a chunked body, a trailing slash; and the refusals' codes.
 */
class VmsPowerFaceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    InMemoryCore core;
    ApiServer server;
    int port;

    @BeforeEach
    void start() throws Exception {
        core = new InMemoryCore(dir.resolve("data"));
        server = new ApiServer();
        new VmsFace(core.service).register(server);
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        port = server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    private UUID running() throws Exception {
        Vm vm = core.service.create(VmRequest.builder().image(new dev.hangar.core.images.ImageRef("http://images.test/box.tar.gz",
                "ab".repeat(32), dev.hangar.core.images.ChecksumType.SHA256)).build());
        core.await(vm.id(), v -> v.status() == VmStatus.POWERED_ON);
        return vm.id();
    }

    /** The status line's code and the body, of one request written as given (its Content-Length added unless it is chunked). */
    private record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    private Answer raw(String head, String body) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = s.getOutputStream();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            String length = head.contains("Transfer-Encoding") ? "" : "Content-Length: " + bytes.length + "\r\n";
            out.write((head + length + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            String rest = text.substring(text.indexOf("\r\n\r\n") + 4);
            if (text.toLowerCase().contains("transfer-encoding: chunked")) rest = unchunk(rest);
            return new Answer(status, rest);
        }
    }

    private static String unchunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, eol).trim(), 16);
            if (size == 0) return out.toString();
            out.append(chunked, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    @Test
    void aStopWithNoBodyAndNoContentTypeIsAnOperationThatPowersTheVmOff() throws Exception {
        UUID id = running();
        Answer stop = raw("POST /vms/" + id + "/stop HTTP/1.1\r\n", "");
        assertEquals(202, stop.status(), stop.body());
        assertEquals("vm.stop", stop.json().path("kind").asText());
        assertTrue(stop.json().path("operation").asText().startsWith("/operations/"), stop.body());
        core.await(id, v -> v.status() == VmStatus.POWERED_OFF);

        Answer start = raw("POST /vms/" + id + "/start/ HTTP/1.1\r\n", "");
        assertEquals(200, start.status(), "a trailing slash names the same route: " + start.body());
        assertEquals("powered-on", start.json().path("status").asText());
    }

    @Test
    void aChunkedOrFormTypedBodyIsReadAsJsonAndABadOneIsA400() throws Exception {
        UUID id = running();
        String body = "{\"force\": true, \"timeout\": 5}";
        Answer chunked = raw("POST /vms/" + id + "/restart HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n",
                Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
        assertEquals(202, chunked.status(), chunked.body());
        assertEquals("vm.restart", chunked.json().path("kind").asText());
        core.await(id, v -> v.status() == VmStatus.POWERED_ON);

        Answer badTimeout = raw("POST /vms/" + id + "/stop HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                "{\"timeout\": 3600}");
        assertEquals(400, badTimeout.status(), badTimeout.body());
        assertEquals("invalid-timeout", badTimeout.json().path("code").asText());
        Answer notJson = raw("POST /vms/" + id + "/stop HTTP/1.1\r\n", "force");
        assertEquals(400, notJson.status(), notJson.body());
        assertEquals("invalid-json", notJson.json().path("code").asText());
    }

    @Test
    void suspendResumeAndExecAnswerTheVmOrAStableCode() throws Exception {
        UUID id = running();
        Answer suspended = raw("POST /vms/" + id + "/suspend HTTP/1.1\r\n", "");
        assertEquals("suspended", suspended.json().path("status").asText(), suspended.body());
        Answer exec = raw("POST /vms/" + id + "/exec HTTP/1.1\r\nContent-Type: application/json\r\n", "{\"command\": [\"echo\",\"x\"]}");
        assertEquals(409, exec.status(), exec.body());
        assertEquals("vm-not-running", exec.json().path("code").asText());
        Answer resumed = raw("POST /vms/" + id + "/resume HTTP/1.1\r\n", "");
        assertEquals("powered-on", resumed.json().path("status").asText(), resumed.body());
        Answer ran = raw("POST /vms/" + id + "/exec HTTP/1.1\r\n", "{\"command\": [\"echo\",\"hi\"]}");
        assertEquals(200, ran.status(), ran.body());
        assertEquals("hi\n", ran.json().path("stdout").asText());
        assertEquals(0, ran.json().path("exit_code").asInt());
        Answer noCommand = raw("POST /vms/" + id + "/exec HTTP/1.1\r\n", "{}");
        assertEquals("invalid-command", noCommand.json().path("code").asText(), noCommand.body());
        Answer unknown = raw("POST /vms/" + UUID.randomUUID() + "/suspend HTTP/1.1\r\n", "");
        assertEquals(404, unknown.status(), unknown.body());
    }
}
