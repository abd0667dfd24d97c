package dev.hangar.api.operations;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.operations.OperationLog;
import java.io.IOException;
import java.util.Locale;
import java.util.UUID;

/**
 * Hangar's own view of long actions, whatever face started them: {@code GET /operations} (the newest
 * 200) and {@code GET /operations/:id}, each {@code {id, kind, target, status, progress, phase, error,
 * created_at, updated_at}}.
 */
public final class OperationsFace {
    private final OperationLog operations;

    public OperationsFace(OperationLog operations) {
        this.operations = operations;
    }

    public void register(ApiServer server) {
        server.route("GET", "/operations", this::list).route("GET", "/operations/:id", this::get);
    }

    private void list(Exchange ex) throws IOException {
        ArrayNode all = Json.MAPPER.createArrayNode();
        for (Operation op : operations.recent()) all.add(render(op));
        ex.json(200, all);
    }

    private void get(Exchange ex) throws IOException {
        UUID id;
        try {
            id = UUID.fromString(ex.pathParam("id"));
        } catch (IllegalArgumentException e) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "operation-not-found", "no operation " + ex.pathParam("id"));
        }
        ex.json(200, render(operations.get(id)));
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
