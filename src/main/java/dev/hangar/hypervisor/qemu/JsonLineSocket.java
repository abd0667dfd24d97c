package dev.hangar.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One JSON document per line over a Unix domain socket: the framing QMP and the QEMU guest agent share.
 * Unix socket channels have no read timeout, so a deadline closes the channel, which unblocks a read.
 */
class JsonLineSocket implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Far beyond any answer Hangar asks for (a status, a guest's interfaces), far below harm. */
    static final int MAX_LINE = 1 << 20;
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "qmp-deadlines");
        t.setDaemon(true);
        return t;
    });

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final ScheduledFuture<?> deadline;

    JsonLineSocket(Path socket, Duration timeout) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        deadline = DEADLINES.schedule(this::closeQuietly, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            close();
            throw e;
        }
        in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        out = Channels.newOutputStream(channel);
    }

    void send(JsonNode message) throws IOException {
        out.write((JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * The next JSON document, or an IOException when the peer closed, the deadline passed or a line ran
     * past {@link #MAX_LINE}: the guest agent speaks for the guest, which may be hostile.
     */
    JsonNode receive() throws IOException {
        while (true) {
            String line = readLine();
            // The guest agent may prefix a sync answer with 0xFF; anything before the JSON is noise.
            int start = line.indexOf('{');
            if (start >= 0) return JSON.readTree(line.substring(start));
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("socket closed by peer or timed out");
            if (line.length() >= MAX_LINE) throw new IOException("answer longer than " + MAX_LINE + " characters");
            line.append((char) c);
        }
        return line.toString();
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        deadline.cancel(false);
        closeQuietly();
    }
}
