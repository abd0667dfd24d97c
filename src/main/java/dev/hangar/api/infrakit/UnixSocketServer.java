package dev.hangar.api.infrakit;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 on a Unix socket (Jetty's core server: the JDK's own server listens on TCP only), one
 * virtual thread a request. It knows nothing of what it serves: each request, its body read whole (up
 * to {@link #MAX_BODY} bytes), goes to an {@link Exchanger} that answers it. The socket file is made
 * 0660, a stale one left by a dead service is replaced, and the file is removed at close.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UnixSocketServer.class);
    /** Bodies are JSON specs; their largest part, Init, is capped at 256 KiB by the core. */
    static final int MAX_BODY = 1024 * 1024;
    /** The kernel's limit for a socket path (sun_path), less its terminating NUL. */
    static final int MAX_PATH_BYTES = 107;

    /** A request as the transport read it; contentType is null when none was sent. */
    public record HttpRequest(String method, String path, String contentType, byte[] body) {}

    /** An answer: status, the Content-Type of the body (null with no body) and the body. */
    public record HttpReply(int status, String contentType, byte[] body) {
        public static HttpReply empty(int status) {
            return new HttpReply(status, null, new byte[0]);
        }
    }

    @FunctionalInterface
    public interface Exchanger {
        HttpReply answer(HttpRequest request);

        /**
         * The answer to a request the HTTP layer refused before it reached {@link #answer} (malformed, an
         * unknown HTTP version, headers too large, ...): by default Jetty's own page; a protocol with an
         * error form of its own says it here, so its clients can read every error.
         */
        default HttpReply refused(int status, String reason) {
            return null;
        }
    }

    private final Path socket;
    private final Server server;

    private UnixSocketServer(Path socket, Server server) {
        this.socket = socket;
        this.server = server;
    }

    /**
     * Checks that the path can take the socket: it is short enough, and nothing but a socket nobody
     * answers on is there. Throws IllegalArgumentException with a one-line reason otherwise.
     */
    public static void checkPath(Path socket) {
        if (socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("the socket path " + socket + " is longer than the " + MAX_PATH_BYTES
                    + " bytes a Unix socket path may have");
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        if (!isSocket(socket)) {
            throw new IllegalArgumentException(socket + " exists and is not a socket; remove it or choose another path");
        }
        if (answers(socket)) throw new IllegalArgumentException("another process serves " + socket);
    }

    /** Listens on the socket; a stale socket file there (nobody answers on it) is replaced. */
    public static UnixSocketServer start(Path socket, Exchanger exchanger) throws IOException {
        Path path = socket.toAbsolutePath();
        try {
            checkPath(path);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path); // a stale socket: checkPath found nobody answering on it
        Server server = new Server(new VirtualThreadPool());
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, new HttpConnectionFactory());
        connector.setUnixDomainPath(path);
        server.addConnector(connector);
        server.setHandler(new Adapter(exchanger));
        server.setErrorHandler(new Refusals(exchanger));
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
        // Owner and group only: whoever may talk to the socket may make and destroy VMs.
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        return new UnixSocketServer(path, server);
    }

    public Path socket() {
        return socket;
    }

    private static boolean isSocket(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000; // S_IFSOCK
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ignored = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (ConnectException refused) {
            return false; // the socket of a process that is gone
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot check " + socket + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        stopQuietly(server);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", socket, e.getMessage());
        }
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            log.debug("stopping the socket server: {}", e.getMessage());
        }
    }

    /** Jetty's own error answers, in the exchanger's error form when it has one. */
    private static final class Refusals extends ErrorHandler {
        private final Exchanger exchanger;

        Refusals(Exchanger exchanger) {
            this.exchanger = exchanger;
        }

        @Override
        protected void generateResponse(Request request, Response response, int status, String message, Throwable cause,
                                        Callback callback) throws IOException {
            HttpReply reply = exchanger.refused(status, reason(status, message));
            if (reply == null) {
                super.generateResponse(request, response, status, message, cause, callback);
                return;
            }
            if (reply.contentType() != null) response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
            response.write(true, ByteBuffer.wrap(reply.body()), callback);
        }

        /** Requests too broken to be requests (a bad request line, headers too large) are answered here. */
        @Override
        public ByteBuffer badMessageError(int status, String message, HttpFields.Mutable fields) {
            HttpReply reply = exchanger.refused(status, reason(status, message));
            if (reply == null) return super.badMessageError(status, message, fields);
            if (reply.contentType() != null) fields.put(HttpHeader.CONTENT_TYPE, reply.contentType());
            return ByteBuffer.wrap(reply.body());
        }

        private static String reason(int status, String message) {
            return message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        }
    }

    /** Jetty's request and response, reduced to the two records above. */
    private static final class Adapter extends Handler.Abstract {
        private static final HttpReply TOO_LARGE = new HttpReply(413, "application/json",
                ("{\"error\": \"request-too-large: a request body may have at most " + MAX_BODY + " bytes\"}")
                        .getBytes(StandardCharsets.UTF_8));
        private final Exchanger exchanger;

        Adapter(Exchanger exchanger) {
            super(InvocationType.BLOCKING);
            this.exchanger = exchanger;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            HttpReply reply;
            try {
                byte[] body = readAtMost(request, MAX_BODY);
                reply = body == null ? TOO_LARGE : exchanger.answer(new HttpRequest(request.getMethod(), request.getHttpURI().getPath(),
                                request.getHeaders().get(HttpHeader.CONTENT_TYPE), body));
            } catch (IOException e) {
                callback.failed(e); // the client went away or sent a broken body
                return true;
            }
            response.setStatus(reply.status());
            if (reply.contentType() != null) response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
            response.write(true, ByteBuffer.wrap(reply.body()), callback);
            return true;
        }

        /** The body, or null when it is longer than max bytes. */
        private static byte[] readAtMost(Request request, int max) throws IOException {
            try (InputStream in = Content.Source.asInputStream(request)) {
                byte[] body = in.readNBytes(max + 1);
                return body.length > max ? null : body;
            }
        }
    }
}
