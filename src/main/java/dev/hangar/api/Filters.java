package dev.hangar.api;

import dev.hangar.api.ApiServer.Admission;
import dev.hangar.api.ApiServer.Filter;
import dev.hangar.api.ApiServer.Guard;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks every request passes before its route, in this order, each a small filter: the body cap
 * (nobody can judge a body that was not read to its end), the host rule (a DNS-rebinding page's request
 * names a host this service is not), the origin rule (a foreign page's write), then the guard (OAuth).
 * The first that answers ends the checks; the guard always answers. A Unix socket's listener has only
 * the body cap and the guard.
 */
final class Filters {
    private static final Logger log = LoggerFactory.getLogger(Filters.class);

    private Filters() {}

    /** The chain for a listener whose guard is this one. */
    static List<Filter> chain(Guard guard) {
        return List.of(BODY_CAP, HOST_RULE, ORIGIN_RULE, guarded(guard));
    }

    /**
     * The chain for a Unix socket's listener: its file's mode is who may talk to it, and no browser page
     * reaches a socket file, so there is no host or origin to judge.
     */
    static List<Filter> forSocket(Guard guard) {
        return List.of(BODY_CAP, guarded(guard));
    }

    /** 413 for a body past the cap; its rest was never read, so the connection cannot carry another request. */
    static final Filter BODY_CAP = exchange -> !exchange.bodyTooLarge() ? null
            : Admission.refused(413, "body-too-large", "the request body is larger than " + Exchange.MAX_BODY + " bytes",
                    Map.of("Connection", "close"));

    /** 421 for a host this listener does not answer to: a DNS-rebinding page's, or a client's mistake. */
    static final Filter HOST_RULE = exchange -> !exchange.misdirected() ? null
            : Admission.refused(421, "misdirected-request",
                    "this service does not answer to that host name; use its address, localhost over loopback, or a name in its hostnames", Map.of());

    /**
     * 403 for a browser's write, or WebSocket, sent by a page of another origin: before any guard, also
     * with OAuth off (a page the operator visits must not drive a VM's console on loopback). Browsers name
     * the page's origin in {@code Origin}; the seeds' clients and the CLI send none.
     */
    static final Filter ORIGIN_RULE = exchange -> !exchange.fromForeignOrigin() ? null
            : Admission.refused(403, "origin-mismatch", "a page of another origin may not write here or open a WebSocket", Map.of());

    /** The guard's answer; a guard that fails refuses the request (a 500 without details), never admits it. */
    static Filter guarded(Guard guard) {
        return exchange -> {
            try {
                return guard.admit(exchange);
            } catch (RuntimeException e) {
                log.error("the request guard failed on {} {}", exchange.method(), exchange.path(), e);
                return Admission.refused(500, "internal-error", "internal error; the service log has the details", Map.of());
            }
        };
    }
}
