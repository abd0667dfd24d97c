package dev.hangar.api.ops;

import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts every answered request by listener, method, route (as registered, "/vms/:id", so IDs never
 * become labels; "unmatched" for none) and status: {@code hangar_http_requests_total}.
 */
public final class RequestMetrics implements ApiServer.Recorder {
    private final MeterRegistry registry;
    private final String listener;

    public RequestMetrics(MeterRegistry registry, String listener) {
        this.registry = registry;
        this.listener = listener;
    }

    @Override
    public void answered(Exchange exchange, String principal) {
        String method = switch (exchange.method()) {
            case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" -> exchange.method();
            default -> "other"; // a client's made-up method must not become a label
        };
        Counter.builder("hangar.http.requests").description("answered HTTP requests")
                .tag("listener", listener).tag("method", method)
                .tag("route", exchange.route() == null ? "unmatched" : exchange.route())
                .tag("status", String.valueOf(exchange.status())).register(registry).increment();
    }
}
