package dev.hangar.api.ops;

import dev.hangar.api.ApiServer;
import java.util.function.Supplier;

/** {@code GET /metrics}: Prometheus's text exposition format (version 0.0.4). */
public final class MetricsFace {
    private final Supplier<String> scrape;

    public MetricsFace(Supplier<String> scrape) {
        this.scrape = scrape;
    }

    public void register(ApiServer server) {
        server.route("GET", "/metrics", ex -> ex.text(200, scrape.get(), "text/plain; version=0.0.4; charset=utf-8"));
    }
}
