package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.api.ApiServer;
import dev.hangar.api.WebSocketEndpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code vm console --attach} against a real WebSocket route that plays a guest's console: its past
 * first, then each line typed is answered. Piped input is typed; Ctrl-] detaches and is never sent.
 */
class ConsoleAttachTest {
    private final ApiServer server = new ApiServer();
    private final BlockingQueue<String> typed = new LinkedBlockingQueue<>();
    private HangarClient client;

    @BeforeEach
    void start() throws Exception {
        server.route("GET", "/vms/:id/console/ws", ex -> ex.webSocket(new WebSocketEndpoint() {
            private volatile WebSocketPeer peer;

            @Override
            public void opened(WebSocketPeer peer) {
                this.peer = peer;
                send("booted\r\n# ");
                if (ex.pathParam("id").equals("stopping")) peer.close(); // the VM powered off
            }

            @Override
            public void received(byte[] message) {
                String text = new String(message, StandardCharsets.UTF_8);
                typed.add(text);
                send(text.strip().toUpperCase() + "\r\n# ");
            }

            @Override
            public void closed() {}

            private void send(String text) {
                try {
                    peer.send(text.getBytes(StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }));
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = new HangarClient(URI.create("http://127.0.0.1:" + server.address().getPort()), null, null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void pipedInputIsTypedAndTheGuestsAnswersPrinted() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new ConsoleAttach(client, new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream()))
                .run("v1", new ByteArrayInputStream("uname\n".getBytes(StandardCharsets.UTF_8)), false);
        assertEquals(0, status);
        String screen = out.toString(StandardCharsets.UTF_8);
        assertTrue(screen.startsWith("booted"), "the console's past comes first: " + screen);
        assertTrue(screen.contains("UNAME"), "the guest's answer to what was typed: " + screen);
    }

    @Test
    void ctrlRightBracketDetachesAndIsNotSent() throws Exception {
        int status = new ConsoleAttach(client, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()))
                .run("v1", new ByteArrayInputStream("ls\n\u001dreboot\n".getBytes(StandardCharsets.UTF_8)), false);
        assertEquals(0, status);
        assertEquals("ls\n", typed.poll(5, java.util.concurrent.TimeUnit.SECONDS));
        Thread.sleep(300);
        assertTrue(typed.isEmpty(), "nothing after Ctrl-] reaches the guest: " + typed);
    }

    @Test
    void aRefusedUpgradeIsTheServicesError() {
        HangarClient.Failure f = assertThrows(HangarClient.Failure.class,
                () -> new ConsoleAttach(client, System.out, System.err).run("../nope", new ByteArrayInputStream(new byte[0]), false));
        assertEquals(404, f.status());
    }

    @Test
    void aConsoleTheServiceEndsIsAFailure() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        java.io.PipedOutputStream keyboard = new java.io.PipedOutputStream(); // never typed on, never ended
        int status = new ConsoleAttach(client, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true))
                .run("stopping", new java.io.PipedInputStream(keyboard), false);
        assertEquals(1, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("The console closed"), err.toString(StandardCharsets.UTF_8));
    }
}
