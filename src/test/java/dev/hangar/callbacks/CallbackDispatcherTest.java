package dev.hangar.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.hangar.outbound.AddressRange;
import dev.hangar.outbound.OutboundHttpClient;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.outbound.OutboundTls;
import dev.hangar.store.CallbackOutbox;
import dev.hangar.store.Database;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delivery against a real HTTP receiver on loopback that answers as scripted. */
class CallbackDispatcherTest {
    private HttpServer receiver;
    private final List<Integer> script = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> signatures = new CopyOnWriteArrayList<>();
    private final List<String> methods = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    private String url;

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/cb", ex -> {
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            signatures.add(ex.getRequestHeaders().getFirst(CallbackDispatcher.SIGNATURE_HEADER));
            methods.add(ex.getRequestMethod());
            int n = calls.getAndIncrement();
            ex.sendResponseHeaders(n < script.size() ? script.get(n) : 200, -1);
            ex.close();
        });
        receiver.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        receiver.start();
        url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/cb";
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    @Test
    void retriesServerErrorsUntilDeliveredAndSignsTheBody(@TempDir Path dir) throws Exception {
        script.addAll(List.of(503, 500));
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            long id = outbox.enqueue("vm1", url, "{\"id\":\"vm1\"}", Instant.now(), Duration.ofMinutes(5));
            try (CallbackDispatcher d = new CallbackDispatcher(outbox, noRedirects(), "s3cret", Clock.systemUTC())) {
                d.start();
                waitFor(() -> outbox.state(id).orElseThrow().equals("delivered"), Duration.ofSeconds(20));
            }
            assertEquals(3, calls.get());
            assertEquals("{\"id\":\"vm1\"}", bodies.get(2));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies.get(2).getBytes(StandardCharsets.UTF_8)));
            assertEquals(expected, signatures.get(2));
        }
    }

    @Test
    void oneImagesPutsArriveInTheOrderOfItsChangesARetriedOneBeforeAnyNewer(@TempDir Path dir) throws Exception {
        script.add(503); // the first PUT (BUILDING) fails once
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            outbox.enqueue("img1", url, "PUT", "{\"status\":\"BUILDING\"}", Instant.now(), Duration.ofMinutes(5));
            long complete = outbox.enqueue("img1", url, "PUT", "{\"status\":\"COMPLETE\"}", Instant.now(), Duration.ofMinutes(5));
            try (CallbackDispatcher d = new CallbackDispatcher(outbox, noRedirects(), "s3cret", Clock.systemUTC())) {
                d.start();
                waitFor(() -> outbox.state(complete).orElseThrow().equals("delivered"), Duration.ofSeconds(20));
            }
            assertEquals(List.of("PUT", "PUT", "PUT"), methods, "Image Factory's callbacks are PUTs");
            assertEquals(List.of("{\"status\":\"BUILDING\"}", "{\"status\":\"BUILDING\"}", "{\"status\":\"COMPLETE\"}"), bodies,
                    "COMPLETE waits until the retried BUILDING is delivered");
            assertEquals(3, signatures.stream().filter(java.util.Objects::nonNull).count(), "and signed as the VM callbacks are");
        }
    }

    @Test
    void aClientErrorIsNotRetried(@TempDir Path dir) throws Exception {
        script.add(404);
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            long id = outbox.enqueue("vm1", url, "{}", Instant.now(), Duration.ofMinutes(5));
            try (CallbackDispatcher d = new CallbackDispatcher(outbox, noRedirects(), null, Clock.systemUTC())) {
                d.start();
                waitFor(() -> outbox.state(id).orElseThrow().equals("abandoned"), Duration.ofSeconds(10));
            }
            assertEquals(1, calls.get());
            assertEquals(null, signatures.get(0));
        }
    }

    @Test
    void anUnreachableReceiverIsRetriedThenAbandonedAtTheDeadline(@TempDir Path dir) throws Exception {
        receiver.stop(0);
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            long id = outbox.enqueue("vm1", url, "{}", Instant.now(), Duration.ofSeconds(2));
            try (CallbackDispatcher d = new CallbackDispatcher(outbox, noRedirects(), null, Clock.systemUTC())) {
                d.start();
                waitFor(() -> outbox.state(id).orElseThrow().equals("abandoned"), Duration.ofSeconds(15));
            }
        }
    }

    @Test
    void aUrlTheOutboundPolicyRefusesIsAbandonedAtOnceWithoutAConnection(@TempDir Path dir) throws Exception {
        OutboundPolicy denyingLoopback = new OutboundPolicy(List.of(), List.of(AddressRange.parse("127.0.0.0/8")), "/imagefactory/published");
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            long id = outbox.enqueue("vm1", url, "{}", Instant.now(), Duration.ofMinutes(5));
            try (CallbackDispatcher d = new CallbackDispatcher(outbox, OutboundHttpClient.delivering(denyingLoopback, OutboundTls.context(null)),
                    null, Clock.systemUTC())) {
                d.start();
                waitFor(() -> outbox.state(id).orElseThrow().equals("abandoned"), Duration.ofSeconds(10));
            }
            assertEquals(0, calls.get(), "refused before any connection, and not retried");
        }
    }

    @Test
    void aReceiverThatNeverEndsItsAnswerDoesNotHoldUpDelivery(@TempDir Path dir) throws Exception {
        receiver.createContext("/endless", ex -> {
            ex.getRequestBody().readAllBytes();
            calls.incrementAndGet();
            ex.sendResponseHeaders(200, 0);
            try (var out = ex.getResponseBody()) {
                while (true) {
                    out.write(new byte[1024]);
                    out.flush();
                    Thread.sleep(200);
                }
            } catch (java.io.IOException | InterruptedException clientLeft) {
                // the dispatcher closed the connection
            }
        });
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            long first = outbox.enqueue("vm1", url.replace("/cb", "/endless"), "{}", Instant.now(), Duration.ofMinutes(5));
            long second = outbox.enqueue("vm2", url, "{}", Instant.now(), Duration.ofMinutes(5));
            try (CallbackDispatcher d = new CallbackDispatcher(outbox, noRedirects(), null, Clock.systemUTC())) {
                d.start();
                waitFor(() -> outbox.state(second).orElseThrow().equals("delivered"), Duration.ofSeconds(10));
            }
            assertEquals("delivered", outbox.state(first).orElseThrow(), "the status is the answer; its body is not read");
        }
    }

    @Test
    void backoffDoublesUpToAMinute() {
        assertEquals(Duration.ofSeconds(1), CallbackDispatcher.backoff(1));
        assertEquals(Duration.ofSeconds(8), CallbackDispatcher.backoff(4));
        assertEquals(Duration.ofMinutes(1), CallbackDispatcher.backoff(30));
    }

    private static HttpClient noRedirects() {
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    }

    static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "condition not met within " + timeout);
            Thread.sleep(50);
        }
    }
}
