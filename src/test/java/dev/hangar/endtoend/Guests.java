package dev.hangar.endtoend;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the tests do with their guests: fetch their web page from the host, read their console, and run
 * commands in them through the shell on the serial console (typed into QEMU's serial socket, the
 * output read from the console log Hangar keeps; the markers around the output are arithmetic the
 * shell expands, so the echo of the typed line never matches them).
 */
final class Guests {
    private static final AtomicInteger SEQ = new AtomicInteger(100);
    private static final java.util.regex.Pattern END_MARKER = java.util.regex.Pattern.compile("CMD-\\d+-END");

    private Guests() {}

    /**
     * Waits until the console's shell runs commands. A line typed while init still prints (just after
     * HANGAR-GUEST-READY, while the guest agent starts) can be lost as the shell sets its terminal up, so
     * a trivial command is typed until one comes back.
     */
    static void awaitShell(Path vmDir, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                shell(vmDir, "true", Duration.ofSeconds(5));
                return;
            } catch (AssertionError lost) {
                if (System.nanoTime() > until) throw lost;
            }
        }
    }

    /** The command's output (stdout and stderr), once the shell has run it. */
    static String shell(Path vmDir, String command, Duration timeout) throws Exception {
        int n = SEQ.incrementAndGet();
        String begin = "CMD-" + n + "-BEGIN";
        String end = "CMD-" + n + "-END";
        String line = "echo CMD-$((" + (n - 1) + "+1))-BEGIN; " + command + " 2>&1; echo CMD-$((" + (n - 1) + "+1))-END\n";
        // The connection stays open until the output is there: QEMU feeds the guest's UART only as fast
        // as it reads, and drops what it has not fed yet when the connection closes. What the guest
        // prints meanwhile is read off the socket and dropped (the log has it): unread, it would fill
        // the socket and stall the guest's console.
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(vmDir.resolve("serial.sock")));
            ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            ch.configureBlocking(false);
            ByteBuffer sink = ByteBuffer.allocate(1 << 16);
            Path log = vmDir.resolve("serial.log");
            long until = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < until) {
                while (ch.read(sink.clear()) > 0) {
                    // dropped: the log file holds the same bytes
                }
                String text = Files.readString(log, StandardCharsets.ISO_8859_1);
                int b = text.lastIndexOf(begin + "\r\n");
                if (b < 0) b = text.lastIndexOf(begin + "\n");
                // The end marker, or one a byte of the serial line garbled ("CMD-1110-END" for CMD-110-END was
                // seen under load): the begin marker, found whole, already says this is the command's output.
                int e = b < 0 ? -1 : text.indexOf(end, b);
                if (e < 0 && b >= 0) {
                    var garbled = END_MARKER.matcher(text);
                    if (garbled.find(b + begin.length())) e = garbled.start();
                }
                if (e > 0) return text.substring(text.indexOf('\n', b) + 1, e).replace("\r", "");
                Thread.sleep(200);
            }
            throw new AssertionError("the guest did not run `" + command + "` within " + timeout + "; console:\n"
                    + tail(Files.readString(log, StandardCharsets.ISO_8859_1)));
        }
    }

    /**
     * A shell command that fetches http://IP/ in the guest and prints the answer. Busybox nc rather
     * than wget: the static busybox's wget crashes in the guest's bare environment.
     */
    static String httpGet(String ip) {
        return "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + ip + " 80";
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(3)).build();

    /** The guest's web page, from the host, retried for 20 s: the address is leased before httpd listens. */
    static String page(String ip) throws Exception {
        IOException last = null;
        for (int i = 0; i < 40; i++) {
            try {
                return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + ip + "/"))
                        .timeout(Duration.ofSeconds(3)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException e) {
                last = e;
                Thread.sleep(500);
            }
        }
        throw new AssertionError("guest at " + ip + " did not answer", last);
    }

    private static String tail(String s) {
        return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    }

    /** Waits until the console log holds the text; returns the whole log. */
    static String awaitConsole(Path vmDir, String text, Duration timeout) throws IOException, InterruptedException {
        Path log = vmDir.resolve("serial.log");
        long until = System.nanoTime() + timeout.toNanos();
        String seen = "";
        while (System.nanoTime() < until) {
            if (Files.exists(log)) {
                seen = Files.readString(log, StandardCharsets.ISO_8859_1);
                if (seen.contains(text)) return seen;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no \"" + text + "\" on the console within " + timeout + ":\n" + tail(seen));
    }
}
