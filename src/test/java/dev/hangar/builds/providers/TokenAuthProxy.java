package dev.hangar.builds.providers;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A registry's token flow in front of a real registry: /v2/ requests without a token it issued get 401
 * with a Bearer challenge naming /token; /token takes Basic credentials and issues a token; everything
 * else is forwarded to the registry (Locations rewritten to point back here).
 */
final class TokenAuthProxy implements AutoCloseable {
    private final HttpServer server;
    private final URI upstream;
    private final String basic;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Set<String> issued = ConcurrentHashMap.newKeySet();
    final List<String> tokenQueries = new CopyOnWriteArrayList<>();
    final List<String> forwarded = new CopyOnWriteArrayList<>();
    /** The host the challenge names for the token realm (the proxy answers on every loopback name). */
    volatile String realmHost = "127.0.0.1";

    TokenAuthProxy(URI upstream, String user, String password) throws IOException {
        this.upstream = upstream;
        this.basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::forward);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void token(HttpExchange exchange) throws IOException {
        try (exchange) {
            tokenQueries.add(exchange.getRequestURI().getRawQuery());
            if (!basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                // A token service that echoes what it was sent, as some do: none of it may reach an error.
                byte[] echo = ("{\"errors\": [{\"code\": \"UNAUTHORIZED\", \"message\": \"echo: "
                        + exchange.getRequestHeaders().getFirst("Authorization") + "\"}]}").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(401, echo.length);
                exchange.getResponseBody().write(echo);
                return;
            }
            String token = "tok-" + issued.size();
            issued.add(token);
            byte[] body = ("{\"token\": \"" + token + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.startsWith("Bearer ") || !issued.contains(auth.substring(7))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"http://" + realmHost + ":" + server.getAddress().getPort() + "/token\",service=\"hangar-test\"");
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            String method = exchange.getRequestMethod();
            forwarded.add(method + " " + exchange.getRequestURI().getPath());
            HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI().toString()))
                    .version(HttpClient.Version.HTTP_1_1);
            for (String h : List.of("Content-Type", "Content-Range", "Accept")) {
                String v = exchange.getRequestHeaders().getFirst(h);
                if (v != null) request.header(h, v);
            }
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            long size = length == null ? 0 : Long.parseLong(length);
            request.method(method, size == 0 ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(exchange::getRequestBody), size));
            HttpResponse<byte[]> r;
            try {
                r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            for (String h : List.of("Location", "Docker-Content-Digest", "Content-Type", "Range", "Docker-Upload-UUID")) {
                r.headers().firstValue(h).ifPresent(v -> exchange.getResponseHeaders().set(h,
                        h.equals("Location") ? v.replace(upstream.toString(), url().toString()) : v));
            }
            boolean noBody = method.equals("HEAD") || r.body().length == 0;
            if (method.equals("HEAD")) {
                r.headers().firstValue("Content-Length").ifPresent(v -> exchange.getResponseHeaders().set("Content-Length", v));
            }
            exchange.sendResponseHeaders(r.statusCode(), noBody ? -1 : r.body().length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(r.body());
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
