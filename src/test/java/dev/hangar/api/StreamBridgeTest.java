package dev.hangar.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.vms.MachineStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A WebSocket joined to a machine's stream: the past first, then live bytes both ways; either end ends both. */
class StreamBridgeTest {
    /** A machine whose output the test writes, and whose input the test reads. */
    private static final class FakeMachine implements MachineStream {
        final PipedOutputStream output = new PipedOutputStream();
        final PipedInputStream outputSide;
        final BlockingQueue<String> typed = new LinkedBlockingQueue<>();
        final CountDownLatch closed = new CountDownLatch(1);

        FakeMachine() throws IOException {
            outputSide = new PipedInputStream(output);
        }

        @Override public int read(byte[] buffer) throws IOException { return outputSide.read(buffer); }
        @Override public void write(byte[] bytes) { typed.add(new String(bytes, StandardCharsets.UTF_8)); }
        @Override public void close() {
            closed.countDown();
            try {
                output.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final class Browser implements WebSocketEndpoint.WebSocketPeer {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final CountDownLatch closed = new CountDownLatch(1);
        @Override public void send(byte[] message) { got.add(new String(message, StandardCharsets.UTF_8)); }
        @Override public void close() { closed.countDown(); }
    }

    @Test
    void thePastComesFirstThenLiveOutputAndTypedBytesReachTheMachine() throws Exception {
        FakeMachine machine = new FakeMachine();
        Browser browser = new Browser();
        StreamBridge bridge = new StreamBridge(() -> machine, "booted\n".getBytes(StandardCharsets.UTF_8));
        bridge.opened(browser);

        assertEquals("booted\n", browser.got.poll(5, TimeUnit.SECONDS));
        machine.output.write("login: ".getBytes(StandardCharsets.UTF_8));
        machine.output.flush();
        assertEquals("login: ", browser.got.poll(5, TimeUnit.SECONDS));
        bridge.received("root\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("root\n", machine.typed.poll(5, TimeUnit.SECONDS));

        bridge.closed();
        assertTrue(machine.closed.await(5, TimeUnit.SECONDS), "the browser left: the machine's stream is closed");
    }

    @Test
    void whenTheMachineEndsTheBrowserIsClosed() throws Exception {
        FakeMachine machine = new FakeMachine();
        Browser browser = new Browser();
        new StreamBridge(() -> machine, new byte[0]).opened(browser);
        machine.output.close();
        assertTrue(browser.closed.await(5, TimeUnit.SECONDS), "the machine stopped: the WebSocket is closed");
        assertTrue(browser.got.isEmpty(), "an empty past sends nothing");
    }

    @Test
    void aMachineGoneByTheTimeTheSocketOpensClosesTheSocket() throws Exception {
        Browser browser = new Browser();
        new StreamBridge(() -> { throw new IllegalStateException("VM v1 does not answer on its console"); }, "past".getBytes(StandardCharsets.UTF_8))
                .opened(browser);
        assertTrue(browser.closed.await(5, TimeUnit.SECONDS));
        assertTrue(browser.got.isEmpty(), "nothing is sent for a console that cannot be joined");
    }
}
