package dev.hangar.api.vms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Fields;
import dev.hangar.api.Json;
import dev.hangar.api.StreamBridge;
import dev.hangar.api.operations.OperationsFace;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;

/**
 * The OS X Builder API: {@code /vms}, and Hangar's own additions to it (a VM's console, screen, tags,
 * power: start, stop, restart, suspend, resume; a command run in its guest). Translates its JSON to the core model and back;
 * nothing more.
 */
public final class VmsFace {
    /** How much of the console's past a new console socket gets first: a boot's worth of lines. */
    static final int CONSOLE_PAST = 256 * 1024;
    private final VmService service;

    public VmsFace(VmService service) {
        this.service = service;
    }

    public void register(ApiServer server) {
        server.route("POST", "/vms", this::create)
                .route("GET", "/vms", this::list)
                .route("GET", "/vms/:id", this::get)
                .route("DELETE", "/vms/:id", this::delete)
                .route("GET", "/vms/:id/console", this::console)
                .route("GET", "/vms/:id/console/ws", this::consoleSocket)
                .route("GET", "/vms/:id/vnc/ws", this::screenSocket)
                .route("PUT", "/vms/:id/tags", this::retag)
                .route("POST", "/vms/:id/start", ex -> ex.json(200, VmJson.render(service.start(id(ex)))))
                .route("POST", "/vms/:id/stop", ex -> {
                    PowerOff p = PowerOff.of(ex);
                    accepted(ex, service.stop(id(ex), p.force(), p.timeout()));
                })
                .route("POST", "/vms/:id/restart", ex -> {
                    PowerOff p = PowerOff.of(ex);
                    accepted(ex, service.restart(id(ex), p.force(), p.timeout()));
                })
                .route("POST", "/vms/:id/suspend", ex -> ex.json(200, VmJson.render(service.suspend(id(ex)))))
                .route("POST", "/vms/:id/resume", ex -> ex.json(200, VmJson.render(service.resume(id(ex)))))
                .route("POST", "/vms/:id/exec", this::exec);
    }

    private void create(Exchange ex) throws IOException {
        Vm vm = service.create(VmJson.parseCreate(ex.jsonBody()), ex.afterAnswer());
        ex.setHeader("Location", "/vms/" + vm.id());
        ex.json(202, VmJson.render(vm));
    }

    private void list(Exchange ex) throws IOException {
        ArrayNode all = Json.MAPPER.createArrayNode();
        for (Vm vm : service.list(Fields.tagFilter(ex.queryParams("tag")))) all.add(VmJson.render(vm));
        ex.json(200, all);
    }

    private void get(Exchange ex) throws IOException {
        ex.json(200, VmJson.render(service.get(id(ex))));
    }

    private void delete(Exchange ex) throws IOException {
        service.delete(id(ex));
        ex.empty(204);
    }

    /** Replaces the VM's tags with the body's object of strings. */
    private void retag(Exchange ex) throws IOException {
        var tags = Fields.strings(ex.jsonObject("invalid-tags"), "the body", "invalid-tags");
        ex.json(200, VmJson.render(service.retag(id(ex), tags)));
    }

    private void console(Exchange ex) throws IOException {
        ex.text(200, service.console(id(ex)));
    }

    /** The serial console over a WebSocket: its recent past first, then live output; what the client sends is typed. */
    private void consoleSocket(Exchange ex) throws IOException {
        UUID id = id(ex);
        service.requireConsole(id);
        ex.webSocket(new StreamBridge(() -> service.openConsole(id), recentPast(service.console(id))));
    }

    /** The graphical screen over a WebSocket: QEMU's VNC server's RFB bytes both ways, as noVNC speaks them. */
    private void screenSocket(Exchange ex) throws IOException {
        UUID id = id(ex);
        service.requireScreen(id);
        ex.webSocket(new StreamBridge(() -> service.openScreen(id), new byte[0]));
    }

    /** The end of the console log, at most CONSOLE_PAST bytes, from the start of a line (never inside a character). */
    static byte[] recentPast(String log) {
        byte[] past = log.getBytes(StandardCharsets.UTF_8);
        if (past.length <= CONSOLE_PAST) return past;
        int from = past.length - CONSOLE_PAST;
        while (from < past.length && past[from - 1] != '\n') from++;
        return Arrays.copyOfRange(past, from, past.length);
    }

    /**
     * {@code {"command": ["uname", "-a"], "timeout": 30}}: runs the command in the guest through its
     * agent and answers how it ended, {@code {"exit_code", "stdout", "stderr"}}.
     */
    private void exec(Exchange ex) throws IOException {
        JsonNode body = ex.jsonObject("invalid-json");
        java.util.List<String> command = Fields.optionalStrings(body, "command", "invalid-command");
        if (command == null) throw dev.hangar.core.HangarException.invalid("invalid-command", "command (a list of strings) is required");
        Integer timeout = Fields.optionalInt(body, "timeout", "invalid-timeout");
        var exit = service.exec(id(ex), command, Duration.ofSeconds(timeout == null ? 30 : timeout));
        ex.json(200, Json.MAPPER.createObjectNode().put("exit_code", exit.exitCode()).put("stdout", exit.stdout()).put("stderr", exit.stderr()));
    }

    /** A stop's or restart's body, all optional, the body too: {@code {"force": false, "timeout": 30}} (seconds of grace after the power button). */
    private record PowerOff(boolean force, Duration timeout) {
        static final int DEFAULT_TIMEOUT = 30;

        static PowerOff of(Exchange ex) throws IOException {
            JsonNode body = ex.bodyBytes("invalid-json").length == 0 ? Json.MAPPER.createObjectNode() : ex.jsonObject("invalid-json");
            Boolean force = Fields.optionalBoolean(body, "force", "invalid-force");
            Integer seconds = Fields.optionalInt(body, "timeout", "invalid-timeout");
            return new PowerOff(force != null && force, Duration.ofSeconds(seconds == null ? DEFAULT_TIMEOUT : seconds));
        }
    }

    /** 202 with the operation doing the work, and where to wait for it. */
    private static void accepted(Exchange ex, Operation op) throws IOException {
        ex.setHeader("Location", "/operations/" + op.id());
        ObjectNode o = OperationsFace.render(op);
        o.put("operation", "/operations/" + op.id());
        ex.json(202, o);
    }

    /** An id that is no UUID names no VM: 404, as for any unknown id. */
    private static UUID id(Exchange ex) {
        try {
            return UUID.fromString(ex.pathParam("id"));
        } catch (IllegalArgumentException e) {
            throw VmService.notFound(ex.pathParam("id"));
        }
    }
}
