package dev.hangar.api.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * For supervisors and load balancers: {@code GET /healthz} answers 200 while the service runs;
 * {@code GET /readyz} answers 200 when every part it needs is usable (the database, the hypervisor,
 * the networks), else 503 naming what is not, e.g. {@code {"status": "not-ready", "checks":
 * {"database": "ok", "hypervisor": "qemu-system-x86_64 is not on the PATH"}}}.
 */
public final class HealthFace {
    /** One part the service needs: its name, and what is wrong with it now (null when it is usable). */
    public record Check(String name, Supplier<String> problem) {}

    private final List<Check> checks;

    public HealthFace(List<Check> checks) {
        this.checks = List.copyOf(checks);
    }

    public void register(ApiServer server) {
        server.route("GET", "/healthz", ex -> ex.json(200, java.util.Map.of("status", "up")))
                .route("GET", "/readyz", this::ready);
    }

    private void ready(Exchange ex) throws IOException {
        ObjectNode results = Json.MAPPER.createObjectNode();
        boolean ready = true;
        for (Check check : checks) {
            String problem;
            try {
                problem = check.problem().get();
            } catch (RuntimeException e) {
                problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
            results.put(check.name(), problem == null ? "ok" : problem);
            ready &= problem == null;
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", ready ? "ready" : "not-ready");
        o.set("checks", results);
        ex.json(ready ? 200 : 503, o);
    }
}
