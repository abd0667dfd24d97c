package dev.hangar.endtoend;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends bytes as they are (so a request may be as broken as a test wants) over TCP or a Unix socket, and
 * reads one HTTP answer within a deadline. The request is written by a thread of its own while the answer
 * is read, so a server that answers before it has read the whole request (and stops reading) is seen
 * answering, not taken for a hang. At the deadline the connection is closed: the outcome is a timeout.
 */
final class RawHttp {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "raw-http-watchdog");
        t.setDaemon(true);
        return t;
    });
    private static final int MAX_HEAD = 1 << 20;

    private RawHttp() {}

    /** One answer: status, headers by lower-case name, body (de-chunked). */
    record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.getFirst();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    enum Kind { ANSWERED, CLOSED_WITHOUT_ANSWER, TIMED_OUT, MALFORMED_ANSWER }

    /**
     * What happened: an answer, or why there was none. writeFailed: the server closed before it took the
     * whole request (it refused it early, e.g. headers over its limit).
     */
    record Outcome(Kind kind, Answer answer, String detail, boolean writeFailed, long millis) {}

    static SocketAddress unix(java.nio.file.Path socket) {
        return UnixDomainSocketAddress.of(socket);
    }

    /**
     * Sends request and reads one answer (skipping 1xx interim answers). halfClose: shut our sending side
     * once the request is written, so a server waiting for more of an incomplete request sees its end.
     * head: the answer has no body whatever its headers say (an answer to HEAD).
     */
    static Outcome exchange(SocketAddress address, byte[] request, boolean halfClose, boolean head, Duration timeout) {
        long started = System.nanoTime();
        AtomicBoolean timedOut = new AtomicBoolean();
        AtomicBoolean writeFailed = new AtomicBoolean();
        SocketChannel channel;
        try {
            channel = SocketChannel.open(address);
        } catch (IOException e) {
            return new Outcome(Kind.CLOSED_WITHOUT_ANSWER, null, "cannot connect: " + e, false, millis(started));
        }
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            timedOut.set(true);
            closeQuietly(channel);
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(request);
                while (buffer.hasRemaining()) channel.write(buffer);
                if (halfClose) channel.shutdownOutput();
            } catch (IOException e) {
                writeFailed.set(true);
            }
        });
        try {
            InputStream in = new BufferedInputStream(Channels.newInputStream(channel), 65536);
            Answer answer = read(in, head);
            return new Outcome(Kind.ANSWERED, answer, null, writeFailed.get(), millis(started));
        } catch (NoAnswer e) {
            if (timedOut.get()) return new Outcome(Kind.TIMED_OUT, null, "no answer within " + timeout.toMillis() + " ms", writeFailed.get(), millis(started));
            return new Outcome(Kind.CLOSED_WITHOUT_ANSWER, null, e.getMessage(), writeFailed.get(), millis(started));
        } catch (MalformedAnswer e) {
            return new Outcome(Kind.MALFORMED_ANSWER, null, e.getMessage(), writeFailed.get(), millis(started));
        } catch (IOException e) {
            if (timedOut.get()) return new Outcome(Kind.TIMED_OUT, null, "answer not complete within " + timeout.toMillis() + " ms", writeFailed.get(), millis(started));
            return new Outcome(Kind.MALFORMED_ANSWER, null, "the answer broke off: " + e, writeFailed.get(), millis(started));
        } finally {
            watchdog.cancel(false);
            closeQuietly(channel);
            try {
                writer.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Nothing of an answer arrived: the connection ended (or broke) before its first byte. */
    static final class NoAnswer extends IOException {
        NoAnswer(String message) {
            super(message);
        }
    }

    /** Bytes came that are no HTTP answer, or one that ends before its declared length. */
    static final class MalformedAnswer extends IOException {
        MalformedAnswer(String message) {
            super(message);
        }
    }

    private static Answer read(InputStream in, boolean head) throws IOException {
        while (true) {
            String statusLine;
            try {
                statusLine = line(in, true);
            } catch (NoAnswer e) {
                throw e;
            } catch (IOException e) {
                throw new NoAnswer("the connection broke before an answer: " + e);
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
                throw new MalformedAnswer("not an HTTP status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            int headBytes = statusLine.length();
            for (String h = line(in, false); !h.isEmpty(); h = line(in, false)) {
                headBytes += h.length();
                if (headBytes > MAX_HEAD) throw new MalformedAnswer("the answer's head is over " + MAX_HEAD + " bytes");
                int colon = h.indexOf(':');
                if (colon <= 0) throw new MalformedAnswer("not a header line: " + h);
                headers.computeIfAbsent(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(h.substring(colon + 1).strip());
            }
            if (status >= 100 && status < 200) continue; // 100 Continue and the like: the answer follows
            byte[] body;
            String te = first(headers, "transfer-encoding");
            String cl = first(headers, "content-length");
            if (head || status == 204 || status == 304) {
                body = new byte[0];
            } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = dechunk(in);
            } else if (cl != null) {
                long length;
                try {
                    length = Long.parseLong(cl);
                } catch (NumberFormatException e) {
                    throw new MalformedAnswer("Content-Length " + cl);
                }
                body = in.readNBytes((int) Math.min(length, Integer.MAX_VALUE - 8));
                if (body.length < length) throw new MalformedAnswer("the body ended after " + body.length + " of " + length + " bytes");
            } else {
                body = in.readAllBytes(); // HTTP/1.0 style: the body runs to the end of the connection
            }
            return new Answer(status, headers, body);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    private static byte[] dechunk(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(in, false).split(";", 2)[0].strip();
            int size;
            try {
                size = Integer.parseInt(sizeLine, 16);
            } catch (NumberFormatException e) {
                throw new MalformedAnswer("bad chunk size in the answer: " + sizeLine);
            }
            if (size == 0) {
                while (!line(in, false).isEmpty()) { } // trailers
                return out.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length < size) throw new MalformedAnswer("a chunk of the answer broke off");
            out.writeBytes(chunk);
            line(in, false);
        }
    }

    /** A line without its CRLF (or LF); first: the end of the stream here means no answer at all. */
    private static String line(InputStream in, boolean first) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] b = line.toByteArray();
                int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                return new String(b, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(c);
            if (line.size() > 65536) throw new MalformedAnswer("an answer line over 64 KiB");
        }
        if (first && line.size() == 0) throw new NoAnswer("closed without an answer");
        throw new MalformedAnswer("the answer ended mid-line: " + line.toString(StandardCharsets.ISO_8859_1));
    }

    private static long millis(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }

    /** The request as text a person can read and paste: printable ASCII as is, everything else escaped. */
    static String escape(byte[] bytes, int max) {
        StringBuilder s = new StringBuilder();
        int n = Math.min(bytes.length, max);
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xff;
            if (b == '\r') s.append("\\r");
            else if (b == '\n') s.append("\\n\n");
            else if (b == '\\') s.append("\\\\");
            else if (b >= 0x20 && b < 0x7f) s.append((char) b);
            else s.append(String.format("\\x%02x", b));
        }
        if (bytes.length > max) s.append("... (").append(bytes.length - max).append(" more bytes)");
        return s.toString();
    }
}
