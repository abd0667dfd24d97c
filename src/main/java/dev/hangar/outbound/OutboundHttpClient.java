package dev.hangar.outbound;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Hangar's HttpClient for every request it makes on a client's behalf. The JDK client underneath never
 * follows redirects; this one checks each request against the {@link OutboundPolicy} (resolving its host)
 * before it is sent, and, when made for fetching, follows the redirects of GET and HEAD itself: at most
 * {@link #MAX_REDIRECTS}, each hop checked the same way before any connection to it, never from https
 * to http, without the Authorization and Cookie headers once the origin changes, and without reading a
 * redirect's body. Other methods' redirects come back as they are (a callback's POST is never turned
 * into a GET). A refused request fails with {@link OutboundRefusedException}.
 *
 * <p>The address checked is the one the JDK then connects to: HttpClient resolves the host through the
 * same InetAddress, whose cache (30 s by default) answers the second lookup the way it answered the first.
 */
public final class OutboundHttpClient extends HttpClient {
    public static final int MAX_REDIRECTS = 10;
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final Set<String> CREDENTIALS = Set.of("authorization", "cookie");
    /** Where the next hop is checked (a name lookup may block): not on the JDK client's own threads. */
    private static final ExecutorService HOPS = Executors.newVirtualThreadPerTaskExecutor();

    private final HttpClient delegate;
    private final OutboundPolicy policy;
    private final int maxRedirects;
    /** Signs Hangar's own fetches of its image catalog (method, URI → Authorization); null: none are signed. */
    private volatile java.util.function.BiFunction<String, URI, String> catalogSigner;

    OutboundHttpClient(HttpClient delegate, OutboundPolicy policy, int maxRedirects) {
        if (delegate.followRedirects() != Redirect.NEVER) throw new IllegalArgumentException("the JDK client must not follow redirects itself");
        this.delegate = delegate;
        this.policy = policy;
        this.maxRedirects = maxRedirects;
    }

    /** For downloads, templates and registries: GET and HEAD follow redirects, each hop checked. */
    public static OutboundHttpClient fetching(OutboundPolicy policy, SSLContext tls) {
        return new OutboundHttpClient(jdkClient(tls), policy, MAX_REDIRECTS);
    }

    /** For callbacks: every request checked, no redirect followed. */
    public static OutboundHttpClient delivering(OutboundPolicy policy, SSLContext tls) {
        return new OutboundHttpClient(jdkClient(tls), policy, 0);
    }

    private static HttpClient jdkClient(SSLContext tls) {
        SSLParameters parameters = tls.getDefaultSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        return HttpClient.newBuilder().followRedirects(Redirect.NEVER).connectTimeout(CONNECT_TIMEOUT)
                .sslContext(tls).sslParameters(parameters).build();
    }

    /**
     * From now on, a request for a file of Hangar's own image catalog on one of its own listeners
     * ({@link OutboundPolicy#isOwnCatalog}) carries this Authorization: with OAuth on, the catalog's
     * reads are signed, and Hangar fetching a VM's image from itself signs as itself.
     */
    public void signCatalogRequests(java.util.function.BiFunction<String, URI, String> signer) {
        this.catalogSigner = signer;
    }

    /** The request as it is sent: signed when it fetches Hangar's own catalog and a signer is set. */
    private HttpRequest signedIfOwnCatalog(HttpRequest hop) {
        var signer = catalogSigner;
        if (signer == null || !policy.isOwnCatalog(hop.method(), hop.uri())) return hop;
        return HttpRequest.newBuilder(hop, (name, value) -> !name.equalsIgnoreCase("authorization"))
                .header("Authorization", signer.apply(hop.method(), hop.uri())).build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler) throws IOException, InterruptedException {
        HttpRequest hop = request;
        for (int redirects = 0; ; redirects++) {
            check(hop, redirects);
            hop = signedIfOwnCatalog(hop);
            HttpResponse<T> response = delegate.send(hop, unreadIfFollowed(hop, handler));
            Optional<HttpRequest> next = nextHop(hop, response, redirects);
            if (next.isEmpty()) return response;
            hop = next.get();
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, BodyHandler<T> handler) {
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        AtomicReference<CompletableFuture<?>> inFlight = new AtomicReference<>();
        // Cancelling the caller's future cancels the hop on the wire (the JDK aborts an exchange whose future is cancelled).
        result.whenComplete((r, e) -> {
            CompletableFuture<?> hop = inFlight.get();
            if (result.isCancelled() && hop != null) hop.cancel(true);
        });
        hopAsync(request, handler, 0, result, inFlight);
        return result;
    }

    private <T> void hopAsync(HttpRequest hop, BodyHandler<T> handler, int redirects, CompletableFuture<HttpResponse<T>> result,
                              AtomicReference<CompletableFuture<?>> inFlight) {
        try {
            check(hop, redirects);
        } catch (IOException e) {
            result.completeExceptionally(e);
            return;
        }
        HttpRequest signed = signedIfOwnCatalog(hop);
        CompletableFuture<HttpResponse<T>> sent = delegate.sendAsync(signed, unreadIfFollowed(signed, handler));
        inFlight.set(sent);
        if (result.isDone()) sent.cancel(true);
        sent.whenCompleteAsync((response, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            try {
                Optional<HttpRequest> next = nextHop(hop, response, redirects);
                if (next.isEmpty()) result.complete(response);
                else hopAsync(next.get(), handler, redirects + 1, result, inFlight);
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        }, HOPS);
    }

    /** Checked like any request, but its redirects are not followed (nothing here uses server push). */
    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        try {
            check(request, 0);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return delegate.sendAsync(request, handler, pushPromiseHandler);
    }

    private void check(HttpRequest request, int redirects) throws IOException {
        Optional<String> refused = policy.refusal(request.method(), request.uri());
        if (refused.isPresent()) {
            throw new OutboundRefusedException(redirects == 0 ? refused.get() : "it redirected to " + request.uri() + ", and " + refused.get());
        }
    }

    private boolean follows(HttpRequest request, int status, HttpHeaders headers) {
        return maxRedirects > 0 && (request.method().equals("GET") || request.method().equals("HEAD"))
                && REDIRECTS.contains(status) && headers.firstValue("location").isPresent();
    }

    /** The caller's handler, except for a redirect this client follows: its body is not read at all. */
    private <T> BodyHandler<T> unreadIfFollowed(HttpRequest request, BodyHandler<T> handler) {
        return info -> follows(request, info.statusCode(), info.headers()) ? unread() : handler.apply(info);
    }

    /** The request for the redirect this response asks to follow, or empty when it is the answer. */
    private Optional<HttpRequest> nextHop(HttpRequest hop, HttpResponse<?> response, int redirects) throws IOException {
        if (!follows(hop, response.statusCode(), response.headers())) return Optional.empty();
        String location = response.headers().firstValue("location").orElseThrow();
        if (redirects >= maxRedirects) throw new IOException(hop.uri() + " redirected more than " + maxRedirects + " times");
        URI target;
        try {
            target = hop.uri().resolve(location.strip());
        } catch (IllegalArgumentException e) {
            throw new IOException(hop.uri() + " redirected to an invalid URI: " + location);
        }
        if ("https".equalsIgnoreCase(hop.uri().getScheme()) && "http".equalsIgnoreCase(target.getScheme())) {
            throw new OutboundRefusedException(hop.uri() + " redirected from https to http (" + target + "): refused");
        }
        boolean sameOrigin = origin(hop.uri()).equals(origin(target));
        HttpRequest.Builder next = HttpRequest.newBuilder(hop, (name, value) -> sameOrigin || !CREDENTIALS.contains(name.toLowerCase(Locale.ROOT)));
        try {
            return Optional.of(next.uri(target).build());
        } catch (IllegalArgumentException e) {
            throw new IOException(hop.uri() + " redirected to a URI that cannot be requested: " + location);
        }
    }

    private static String origin(URI uri) {
        String scheme = Objects.toString(uri.getScheme(), "").toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + Objects.toString(uri.getHost(), "").toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** Takes no byte of the body: cancelling the subscription lets the JDK close the connection. */
    private static <T> BodySubscriber<T> unread() {
        return new BodySubscriber<>() {
            @Override public CompletionStage<T> getBody() { return CompletableFuture.completedFuture(null); }
            @Override public void onSubscribe(Flow.Subscription subscription) { subscription.cancel(); }
            @Override public void onNext(List<ByteBuffer> item) { }
            @Override public void onError(Throwable throwable) { }
            @Override public void onComplete() { }
        };
    }

    // ---- the rest is the JDK client's ----

    @Override public Optional<CookieHandler> cookieHandler() { return delegate.cookieHandler(); }
    @Override public Optional<Duration> connectTimeout() { return delegate.connectTimeout(); }
    /** NORMAL (every redirect but https to http, for GET and HEAD) when made for fetching, else NEVER. */
    @Override public Redirect followRedirects() { return maxRedirects > 0 ? Redirect.NORMAL : Redirect.NEVER; }
    @Override public Optional<ProxySelector> proxy() { return delegate.proxy(); }
    @Override public SSLContext sslContext() { return delegate.sslContext(); }
    @Override public SSLParameters sslParameters() { return delegate.sslParameters(); }
    @Override public Optional<Authenticator> authenticator() { return delegate.authenticator(); }
    @Override public Version version() { return delegate.version(); }
    @Override public Optional<Executor> executor() { return delegate.executor(); }
    @Override public void shutdown() { delegate.shutdown(); }
    @Override public void shutdownNow() { delegate.shutdownNow(); }
    @Override public boolean awaitTermination(Duration duration) throws InterruptedException { return delegate.awaitTermination(duration); }
    @Override public boolean isTerminated() { return delegate.isTerminated(); }
    @Override public void close() { delegate.close(); }
}
