package dev.hangar.api.operations;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.operations.Operations;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Hangar's own view of long actions, whatever face started them: {@code GET /operations} (the newest
 * 200), {@code GET /operations/:id}, each {@code {id, kind, target, status, progress, phase, error,
 * may_cancel, created_at, updated_at}}; {@code GET /operations/:id/wait?timeout=S} answers when it has
 * ended or after S seconds (default 30, at most 600), and {@code DELETE /operations/:id} cancels it
 * (202, the operation as it is then).
 */
public final class OperationsFace {
    static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

    private final Operations operations;

    public OperationsFace(Operations operations) {
        this.operations = operations;
    }

    public void register(ApiServer server) {
        server.route("GET", "/operations", this::list)
                .route("GET", "/operations/:id", this::get)
                .route("DELETE", "/operations/:id", this::cancel)
                .route("GET", "/operations/:id/wait", this::await);
    }

    private void list(Exchange ex) throws IOException {
        ArrayNode all = Json.MAPPER.createArrayNode();
        for (Operation op : operations.recent()) all.add(shown(op));
        ex.json(200, all);
    }

    private void get(Exchange ex) throws IOException {
        ex.json(200, shown(operations.get(id(ex))));
    }

    private void cancel(Exchange ex) throws IOException {
        ex.json(202, shown(operations.cancel(id(ex))));
    }

    private void await(Exchange ex) throws IOException {
        UUID id = id(ex);
        Duration timeout = timeout(ex.queryParams("timeout"));
        try {
            ex.json(200, shown(operations.await(id, timeout)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HangarException(HangarException.Kind.UNAVAILABLE, "shutting-down", "the service is stopping");
        }
    }

    /** Whole seconds, 0 to 600: 0 answers at once. */
    static Duration timeout(List<String> values) {
        if (values.isEmpty()) return DEFAULT_WAIT;
        String v = values.getLast();
        long max = Operations.MAX_WAIT.toSeconds();
        if (values.size() > 1 || !v.matches("\\d{1,4}") || Long.parseLong(v) > max) {
            throw HangarException.invalid("invalid-timeout", "timeout is a whole number of seconds from 0 to " + max + ", given once");
        }
        return Duration.ofSeconds(Long.parseLong(v));
    }

    private static UUID id(Exchange ex) {
        try {
            return UUID.fromString(ex.pathParam("id"));
        } catch (IllegalArgumentException e) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "operation-not-found", "no operation " + ex.pathParam("id"));
        }
    }

    /** The operation, and whether a DELETE would call it off now. */
    private ObjectNode shown(Operation op) {
        return render(op).put("may_cancel", operations.cancellable(op.id()));
    }

    /** An operation as this face and /events show it. */
    public static ObjectNode render(Operation op) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", op.id().toString());
        o.put("kind", op.kind());
        o.put("target", op.target());
        o.put("status", op.status().name().toLowerCase(Locale.ROOT));
        o.put("progress", op.progress());
        o.put("phase", op.phase());
        if (op.error() != null) o.set("error", Json.MAPPER.valueToTree(ApiServer.error(op.error().code(), op.error().message())));
        o.put("created_at", op.createdAt().toString());
        o.put("updated_at", op.updatedAt().toString());
        return o;
    }
}
