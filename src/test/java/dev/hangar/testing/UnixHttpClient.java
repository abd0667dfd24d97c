package dev.hangar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a Unix socket, written by hand the way InfraKit's Go clients send it: the body in
 * chunks ({@code Transfer-Encoding: chunked}), {@code Host: 127.0.0.1}, a Content-Type only when the
 * caller gives one. One request a connection; the answer is read to the end.
 */
public final class UnixHttpClient {
    private final Path socket;

    public UnixHttpClient(Path socket) {
        this.socket = socket;
    }

    public record Answer(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    /** POST with a chunked body and no Content-Type, as the 2016 client sends. */
    public Answer post(String path, String body) throws IOException {
        return send("POST", path, null, body);
    }

    /** A request; a null body is sent as Content-Length: 0, any other in two chunks. */
    public Answer send(String method, String path, String contentType, String body) throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Go-http-client/1.1\r\n");
        if (contentType != null) head.append("Content-Type: ").append(contentType).append("\r\n");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        if (body == null) {
            head.append("Content-Length: 0\r\nConnection: close\r\n\r\n");
            request.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        } else {
            head.append("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            request.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            int half = bytes.length / 2;
            chunk(request, bytes, 0, half);
            chunk(request, bytes, half, bytes.length);
            request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap(request.toByteArray()));
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (channel.read(buf) >= 0) {
                in.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return parse(in.toByteArray());
        }
    }

    private static void chunk(ByteArrayOutputStream out, byte[] bytes, int from, int to) {
        if (to <= from) return;
        out.writeBytes((Integer.toHexString(to - from) + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(bytes, from, to - from);
        out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }

    private static Answer parse(byte[] raw) {
        String all = new String(raw, StandardCharsets.ISO_8859_1);
        int end = all.indexOf("\r\n\r\n");
        if (end < 0) throw new AssertionError("no complete HTTP answer: " + all);
        String[] lines = all.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        byte[] rest = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        byte[] body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? dechunk(rest) : rest;
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int eol = indexOf(raw, at);
            int size = Integer.parseInt(new String(raw, at, eol - at, StandardCharsets.ISO_8859_1).split(";")[0].strip(), 16);
            if (size == 0) return out.toByteArray();
            out.write(raw, eol + 2, size);
            at = eol + 2 + size + 2;
        }
    }

    private static int indexOf(byte[] raw, int from) {
        for (int i = from; i + 1 < raw.length; i++) if (raw[i] == '\r' && raw[i + 1] == '\n') return i;
        throw new AssertionError("a broken chunk");
    }
}
