package dev.hangar.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QMP framing against a scripted peer; the real QEMU is exercised by the end-to-end tests. */
class QmpClientTest {
    /** A one-connection QMP peer: sends the greeting, then answers each command with the next scripted lines. */
    private static List<String> serve(Path socket, List<String> afterEachCommand) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        List<String> received = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try (server; SocketChannel c = server.accept()) {
                OutputStream out = Channels.newOutputStream(c);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                out.write("{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n".getBytes(StandardCharsets.UTF_8));
                for (String answer : afterEachCommand) {
                    String line = in.readLine();
                    if (line == null) return;
                    received.add(line);
                    out.write(answer.getBytes(StandardCharsets.UTF_8));
                }
                in.readLine(); // hold the connection until the client closes
            } catch (IOException ignored) {
                // client went away
            }
        });
        return received;
    }

    @Test
    void negotiatesCapabilitiesThenSkipsEventsToFindTheAnswer(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("qmp.sock");
        List<String> received = serve(sock, List.of(
                "{\"return\": {}}\r\n",
                "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n{\"return\": {\"status\": \"running\", \"running\": true}}\r\n"));
        try (QmpClient qmp = QmpClient.connect(sock, Duration.ofSeconds(5))) {
            assertEquals("running", qmp.status());
        }
        assertEquals("{\"execute\":\"qmp_capabilities\"}", received.get(0));
        assertEquals("{\"execute\":\"query-status\"}", received.get(1));
    }

    @Test
    void aQmpErrorBecomesAnException(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("qmp.sock");
        serve(sock, List.of("{\"return\": {}}\r\n", "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}\r\n"));
        try (QmpClient qmp = QmpClient.connect(sock, Duration.ofSeconds(5))) {
            IOException e = assertThrows(QmpClient.QmpException.class, () -> qmp.execute("nope"));
            assertTrue(e.getMessage().contains("has not been found"), e.getMessage());
        }
    }

    @Test
    void aSilentPeerTimesOutInsteadOfHanging(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("qmp.sock");
        serve(sock, List.of("{\"return\": {}}\r\n")); // answers capabilities, then says nothing
        long start = System.nanoTime();
        try (QmpClient qmp = QmpClient.connect(sock, Duration.ofMillis(500))) {
            assertThrows(IOException.class, qmp::status);
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 5000);
    }

    @Test
    void noSocketMeansNoMachine(@TempDir Path dir) {
        assertThrows(IOException.class, () -> QmpClient.connect(dir.resolve("absent.sock"), Duration.ofSeconds(1)));
    }
}
