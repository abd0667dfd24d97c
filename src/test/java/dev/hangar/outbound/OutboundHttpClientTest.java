package dev.hangar.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import dev.hangar.testing.ImageServer;
import dev.hangar.testing.TestCa;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hangar's outbound client against real HTTP(S) servers on loopback. */
class OutboundHttpClientTest {
    static final String METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";

    final ImageServer server = new ImageServer();
    final OutboundPolicy policy = new OutboundPolicy(List.of(), List.of(), "/imagefactory/published");
    final HttpClient fetching = OutboundHttpClient.fetching(policy, OutboundTls.context(null));

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        server.close();
    }

    static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).build();
    }

    @Test
    void redirectsOnLoopbackAreFollowed() throws Exception {
        server.serve("/releases/box.tar.gz", "the box".getBytes(StandardCharsets.UTF_8));
        server.redirect("/box.tar.gz", "/latest/box.tar.gz");
        server.redirect("/latest/box.tar.gz", server.url("/releases/box.tar.gz"));
        HttpResponse<String> r = fetching.send(get(server.url("/box.tar.gz")), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("the box", r.body());
        assertEquals(server.url("/releases/box.tar.gz"), r.uri().toString());
        assertEquals("the box", fetching.sendAsync(get(server.url("/box.tar.gz")), HttpResponse.BodyHandlers.ofString()).get().body());
    }

    @Test
    void aRedirectToTheMetadataServiceIsRefused() {
        String url = server.redirect("/box.tar.gz", METADATA);
        OutboundRefusedException e = assertThrows(OutboundRefusedException.class,
                () -> fetching.send(get(url), HttpResponse.BodyHandlers.ofInputStream()));
        assertTrue(e.getMessage().contains("169.254.169.254") && e.getMessage().contains("link-local"), e.getMessage());
        ExecutionException async = assertThrows(ExecutionException.class,
                () -> fetching.sendAsync(get(url), HttpResponse.BodyHandlers.ofInputStream()).get(10, TimeUnit.SECONDS));
        assertTrue(async.getCause() instanceof OutboundRefusedException, async.toString());
        assertEquals(2, server.hits("/box.tar.gz"));
    }

    /** A denied address with a listener of our own on it shows that the refusal comes before any connection. */
    @Test
    void aRefusedHopIsNeverConnectedTo() throws Exception {
        try (ServerSocket denied = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.2"))) {
            AtomicInteger connections = new AtomicInteger();
            Thread.ofVirtual().start(() -> {
                while (!denied.isClosed()) {
                    try (Socket s = denied.accept()) {
                        connections.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            OutboundPolicy denying = new OutboundPolicy(List.of(), List.of(AddressRange.parse("127.0.0.2/32")), "/imagefactory/published");
            HttpClient client = OutboundHttpClient.fetching(denying, OutboundTls.context(null));
            String target = "http://127.0.0.2:" + denied.getLocalPort() + "/x";
            String url = server.redirect("/box.tar.gz", target);
            assertThrows(OutboundRefusedException.class, () -> client.send(get(url), HttpResponse.BodyHandlers.ofString()));
            assertThrows(OutboundRefusedException.class, () -> client.send(get(target), HttpResponse.BodyHandlers.ofString()));
            Thread.sleep(200); // a connection the refused requests made would have been accepted by now
            assertEquals(0, connections.get(), "the refused requests never connected");
            // The same listener is reached by a client without the deny range: the count would show a connection.
            // (The JDK client may retry a GET whose connection closed before an answer: one or more.)
            OutboundHttpClient.fetching(policy, OutboundTls.context(null)).sendAsync(get(target), HttpResponse.BodyHandlers.discarding());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (connections.get() == 0 && System.nanoTime() < until) Thread.sleep(10);
            assertTrue(connections.get() >= 1, "the allowed client connected");
        }
    }

    @Test
    void aRedirectFromHttpsToHttpIsRefused() throws Exception {
        TestCa ca = new TestCa();
        String plain = server.serve("/box.tar.gz", "plain".getBytes(StandardCharsets.UTF_8));
        HttpsServer https = ca.httpsServer(exchange -> redirect(exchange, plain));
        try {
            HttpClient client = OutboundHttpClient.fetching(policy, OutboundTls.context(ca.writeBundle(dir.resolve("ca.pem"))));
            String url = "https://127.0.0.1:" + https.getAddress().getPort() + "/box.tar.gz";
            OutboundRefusedException e = assertThrows(OutboundRefusedException.class, () -> client.send(get(url), HttpResponse.BodyHandlers.ofString()));
            assertTrue(e.getMessage().contains("from https to http"), e.getMessage());
            assertEquals(0, server.hits("/box.tar.gz"), "the http URL was never asked");
        } finally {
            https.stop(0);
        }
    }

    @Test
    void redirectsAreBounded() {
        String url = server.redirect("/loop", "/loop");
        IOException e = assertThrows(IOException.class, () -> fetching.send(get(url), HttpResponse.BodyHandlers.ofString()));
        assertTrue(e.getMessage().contains("redirected more than " + OutboundHttpClient.MAX_REDIRECTS + " times"), e.getMessage());
        assertEquals(OutboundHttpClient.MAX_REDIRECTS + 1, server.hits("/loop"));
    }

    @Test
    void onlyGetAndHeadFollowRedirects() throws Exception {
        String url = server.redirect("/callback", "/elsewhere");
        HttpResponse<String> r = fetching.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, r.statusCode());
        assertEquals(0, server.hits("/elsewhere"));
        HttpClient delivering = OutboundHttpClient.delivering(policy, OutboundTls.context(null));
        assertEquals(HttpClient.Redirect.NEVER, delivering.followRedirects());
        assertEquals(302, delivering.send(get(url), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(0, server.hits("/elsewhere"));
    }

    @Test
    void credentialsDoNotFollowARedirectToAnotherOrigin() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        other.createContext("/", exchange -> {
            seen.put(exchange.getRequestURI().getPath(), String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            if (exchange.getRequestURI().getPath().equals("/same")) {
                redirect(exchange, "/blob");
            } else if (exchange.getRequestURI().getPath().equals("/away")) {
                redirect(exchange, server.url("/blob"));
            } else {
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            }
        });
        other.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        other.start();
        try {
            String base = "http://127.0.0.1:" + other.getAddress().getPort();
            server.serve("/blob", new byte[1]);
            fetching.send(HttpRequest.newBuilder(URI.create(base + "/same")).header("Authorization", "Bearer t").build(), HttpResponse.BodyHandlers.discarding());
            assertEquals("Bearer t", seen.get("/blob"), "the same origin keeps them");
            HttpResponse<Void> r = fetching.send(HttpRequest.newBuilder(URI.create(base + "/away")).header("Authorization", "Bearer t").build(),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(200, r.statusCode());
            assertEquals("Bearer t", seen.get("/away"));
            assertNull(r.request().headers().firstValue("Authorization").orElse(null), "not sent to " + r.uri());
        } finally {
            other.stop(0);
        }
    }

    @Test
    void aRedirectsBodyIsNotRead() throws Exception {
        server.serve("/box.tar.gz", "the box".getBytes(StandardCharsets.UTF_8));
        HttpServer endless = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        endless.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Location", server.url("/box.tar.gz"));
            exchange.sendResponseHeaders(302, 0); // chunked, and it never ends
            try (OutputStream out = exchange.getResponseBody()) {
                while (true) {
                    out.write(new byte[1024]);
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException clientLeft) {
                // the client closed the connection
            }
        });
        endless.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        endless.start();
        try {
            long started = System.nanoTime();
            HttpResponse<String> r = fetching.send(get("http://127.0.0.1:" + endless.getAddress().getPort() + "/"), HttpResponse.BodyHandlers.ofString());
            assertEquals("the box", r.body());
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "the redirect's endless body was not waited for");
        } finally {
            endless.stop(0);
        }
    }

    @Test
    void aHopWhoseNameDoesNotResolveFails() {
        OutboundPolicy unresolving = new OutboundPolicy(List.of(), List.of(), "/imagefactory/published",
                host -> { throw new UnknownHostException(host); }, a -> false);
        HttpClient client = new OutboundHttpClient(HttpClient.newHttpClient(), unresolving, 10);
        assertThrows(UnknownHostException.class, () -> client.send(get(server.url("/x")), HttpResponse.BodyHandlers.discarding()));
    }

    @Test
    void tlsTrustsTheOperatorsCaBundleAndNothingElseExtra() throws Exception {
        TestCa ca = new TestCa();
        HttpsServer https = ca.httpsServer(exchange -> {
            byte[] body = "secure".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        try {
            String url = "https://127.0.0.1:" + https.getAddress().getPort() + "/";
            SSLContext withBundle = OutboundTls.context(ca.writeBundle(dir.resolve("ca.pem")));
            assertEquals("secure", OutboundHttpClient.fetching(policy, withBundle).send(get(url), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("secure", OutboundHttpClient.fetching(policy, withBundle)
                    .send(get(url.replace("127.0.0.1", "localhost")), HttpResponse.BodyHandlers.ofString()).body());
            IOException untrusted = assertThrows(IOException.class,
                    () -> OutboundHttpClient.fetching(policy, OutboundTls.context(null)).send(get(url), HttpResponse.BodyHandlers.ofString()));
            assertTrue(untrusted instanceof SSLHandshakeException, untrusted.toString());
        } finally {
            https.stop(0);
        }
    }

    @Test
    void aBundleThatHoldsNoCertificateIsAStartUpError() throws IOException {
        Path empty = java.nio.file.Files.writeString(dir.resolve("empty.pem"), "# nothing\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutboundTls.context(empty));
        assertTrue(e.getMessage().startsWith("--ca-bundle: "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OutboundTls.context(dir.resolve("missing.pem")));
    }

    private static void redirect(HttpExchange exchange, String to) throws IOException {
        exchange.getResponseHeaders().set("Location", to);
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }
}
