package dev.hangar.callbacks;

import dev.hangar.core.RedactedUrl;
import dev.hangar.core.UrlPolicy;
import dev.hangar.outbound.OutboundRefusedException;
import dev.hangar.store.CallbackOutbox;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the callback outbox: sends each entry's JSON body to its URL (a POST, or a PUT for Image
 * Factory's), signed when a secret is set, one after another in the order they fell due. Connection errors, 408, 429
 * and 5xx are retried with exponential backoff (1 s doubling, at most a minute apart) until the
 * entry's give-up time; any other answer (2xx delivered, 3xx or another 4xx refused) ends the entry,
 * and so does the outbound policy's refusal of the URL (callback-url-forbidden). Because the outbox is
 * in the database, delivery resumes after a restart.
 */
public final class CallbackDispatcher implements AutoCloseable {
    /** The header carrying {@code sha256=<hex HMAC-SHA256 of the body>} when a secret is configured. */
    public static final String SIGNATURE_HEADER = "X-Hangar-Signature";
    private static final Logger log = LoggerFactory.getLogger(CallbackDispatcher.class);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final CallbackOutbox outbox;
    private final HttpClient http;
    private final byte[] secret;
    private final Clock clock;
    private final Object wakeUp = new Object();
    /** Set by wake() under wakeUp: an entry queued between the loop's look and its wait is not slept past. */
    private boolean woken;
    private volatile boolean running = true;
    private final Thread thread;
    /** Delivered and abandoned callbacks are forgotten this long after their last attempt. */
    private final Duration retention;
    /** Told each attempt's outcome (delivered, retry, refused, forbidden, abandoned), for the metrics. */
    private volatile java.util.function.Consumer<String> attempted = outcome -> {};
    private Instant nextForget = Instant.MIN;
    /** Keeping delivered callbacks a while lets an operator see what was sent; forgetting them keeps the file small. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    private static final Duration FORGET_EVERY = Duration.ofHours(1);

    /** @param http must not follow redirects: a redirected POST turns into a GET that would count as delivered */
    public CallbackDispatcher(CallbackOutbox outbox, HttpClient http, String secret, Clock clock) {
        this(outbox, http, secret, clock, DEFAULT_RETENTION);
    }

    public CallbackDispatcher(CallbackOutbox outbox, HttpClient http, String secret, Clock clock, Duration retention) {
        if (http.followRedirects() != HttpClient.Redirect.NEVER) throw new IllegalArgumentException("callbacks must not follow redirects");
        this.outbox = outbox;
        this.http = http;
        this.secret = secret == null || secret.isEmpty() ? null : secret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
        this.retention = retention;
        this.thread = Thread.ofVirtual().name("callback-dispatcher").unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    /**
     * Puts a callback in the outbox (kept until delivered, refused, or retryFor has passed) and wakes
     * the dispatcher: what every face that calls back uses. subject names what it is about (a VM's id,
     * an image's), and orders one subject's callbacks to one URL.
     */
    public void send(String subject, String url, String method, String body, Duration retryFor) {
        outbox.enqueue(subject, url, method, body, clock.instant(), retryFor);
        wake();
    }

    /** Tells the dispatcher that something new is due now. */
    public void wake() {
        synchronized (wakeUp) {
            woken = true;
            wakeUp.notifyAll();
        }
    }

    private void loop() {
        while (running) {
            try {
                forgetOld();
                for (CallbackOutbox.Entry e : outbox.due(clock.instant(), 50)) deliver(e);
                long sleep = outbox.nextDue()
                        .map(t -> Math.max(10, Duration.between(clock.instant(), t).toMillis()))
                        .orElse(60_000L);
                synchronized (wakeUp) {
                    if (running && !woken) wakeUp.wait(Math.min(sleep, 60_000L));
                    woken = false;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("callback dispatch failed, retrying: {}", e.toString());
                try { Thread.sleep(1000); } catch (InterruptedException ie) { return; }
            }
        }
    }

    /** Once an hour: forgets the callbacks finished longer ago than the retention. */
    private void forgetOld() {
        Instant now = clock.instant();
        if (now.isBefore(nextForget)) return;
        nextForget = now.plus(FORGET_EVERY);
        int forgotten = outbox.forgetFinished(now.minus(retention));
        if (forgotten > 0) log.info("forgot {} callbacks finished more than {} ago", forgotten, retention);
    }

    public void onAttempt(java.util.function.Consumer<String> attempted) {
        this.attempted = attempted;
    }

    void deliver(CallbackOutbox.Entry e) {
        int attempts = e.attempts() + 1;
        String failure;
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(e.url()))
                    .timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .method(e.method(), HttpRequest.BodyPublishers.ofString(e.body(), StandardCharsets.UTF_8));
            if (secret != null) req.header(SIGNATURE_HEADER, "sha256=" + sign(e.body()));
            int status = statusOf(req.build());
            if (status / 100 == 2) {
                outbox.delivered(e.id(), attempts);
                attempted.accept("delivered");
                log.info("callback for {} delivered to {} (attempt {})", e.vmId(), RedactedUrl.of(e.url()), attempts);
                return;
            }
            failure = "HTTP " + status;
            // Only 408, 429 and 5xx may go away by waiting; a redirect or another 4xx will not.
            if (status / 100 != 5 && status != 408 && status != 429) {
                outbox.abandoned(e.id(), attempts, failure);
                attempted.accept("refused");
                log.warn("callback for {} refused by {}: {}", e.vmId(), RedactedUrl.of(e.url()), RedactedUrl.inText(failure));
                return;
            }
        } catch (OutboundRefusedException ex) {
            // The policy will not change its mind by waiting: the callback is not sent, now or later.
            outbox.abandoned(e.id(), attempts, UrlPolicy.CALLBACK_URL_FORBIDDEN + ": " + ex.getMessage());
            attempted.accept("forbidden");
            log.warn("callback for {} to {} refused: {}", e.vmId(), RedactedUrl.of(e.url()), RedactedUrl.inText(ex.getMessage()));
            return;
        } catch (IOException | IllegalArgumentException ex) {
            failure = ex.toString();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return;
        }
        Instant next = clock.instant().plus(backoff(attempts));
        if (next.isAfter(e.giveUpAt())) {
            outbox.abandoned(e.id(), attempts, failure);
            attempted.accept("abandoned");
            log.warn("callback for {} to {} abandoned after {} attempts: {}", e.vmId(), RedactedUrl.of(e.url()), attempts, RedactedUrl.inText(failure));
        } else {
            outbox.retryAt(e.id(), attempts, next, failure);
            attempted.accept("retry");
        }
    }

    /**
     * Sends the callback and returns the answer's status. The body is never read: only the status counts,
     * and a receiver that sends an endless or slow body cannot hold up the outbox (the request timeout
     * covers the answer's headers only).
     */
    private int statusOf(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        response.body().close();
        return response.statusCode();
    }

    static Duration backoff(int attempts) {
        long seconds = 1L << Math.min(attempts - 1, 10);
        Duration d = Duration.ofSeconds(seconds);
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    String sign(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", ex);
        }
    }

    @Override
    public void close() {
        running = false;
        wake();
        thread.interrupt();
    }
}
