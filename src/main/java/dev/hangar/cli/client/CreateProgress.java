package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What {@code vm create --wait} knows of one creation, fed the service's events (and, between them, the
 * VM as GET /vms/ID shows it), and the one line it shows: a bar while the image downloads, then
 * "booting" and "waiting for address", each with the time it has taken so far. No I/O here.
 */
final class CreateProgress {
    enum Outcome { RUNNING, DONE, FAILED }

    static final int BAR_WIDTH = 24;

    private final String vmId;
    private final Instant started;
    private Outcome outcome = Outcome.RUNNING;
    private String stage = "queued";
    private Instant stageSince;
    private int percent;
    private String ip = "";
    private String status = "creating";
    private String errorCode;
    private String errorMessage;

    CreateProgress(String vmId, Instant started) {
        this.vmId = vmId;
        this.started = started;
        this.stageSince = started;
    }

    /** An event from /events: {@code vm} events name the VM by id, {@code operation} events by target. */
    void accept(String type, JsonNode event, Instant now) {
        if (outcome != Outcome.RUNNING) return;
        switch (type) {
            case "vm" -> {
                if (vmId.equals(event.path("id").asText())) acceptVm(event, now);
            }
            case "operation" -> {
                if (vmId.equals(event.path("target").asText()) && "vm.create".equals(event.path("kind").asText())) acceptOperation(event, now);
            }
            default -> { }
        }
    }

    /** The VM's state (an event, or GET /vms/ID): an address ends the wait, an error fails it. */
    void acceptVm(JsonNode vm, Instant now) {
        if (outcome != Outcome.RUNNING) return;
        status = vm.path("status").asText(status);
        ip = vm.path("ip_address").asText("");
        switch (status) {
            case "error" -> fail(vm.path("error"), "vm-create-failed", "the VM failed to be created");
            case "deleting" -> fail(null, "vm-deleted", "the VM was deleted while it was being created");
            case "powered-on", "powered-off", "suspended" -> {
                if (!ip.isEmpty()) outcome = Outcome.DONE;
                else if (!stage.equals("waiting for address")) stage("booting", now);
            }
            default -> { }
        }
    }

    /** The VM is gone (404): someone deleted it. */
    void vmGone() {
        if (outcome == Outcome.RUNNING) fail(null, "vm-deleted", "the VM was deleted while it was being created");
    }

    private void acceptOperation(JsonNode op, Instant now) {
        percent = Math.max(percent, op.path("progress").asInt(percent));
        String opStatus = op.path("status").asText("");
        if (opStatus.equals("failed")) {
            fail(op.path("error"), "vm-create-failed", "the VM failed to be created");
            return;
        }
        if (opStatus.equals("succeeded")) {
            percent = 100;
            // Succeeded without an address (the guest never reported one in time): nothing more will come.
            if (ip.isEmpty() && !status.equals("creating")) outcome = Outcome.DONE;
            return;
        }
        stage(stageOf(op.path("phase").asText("")), now);
    }

    private void stage(String next, Instant now) {
        if (!next.equals(stage)) {
            stage = next;
            stageSince = now;
        }
    }

    private void fail(JsonNode error, String code, String message) {
        outcome = Outcome.FAILED;
        errorCode = error != null && error.hasNonNull("code") ? error.get("code").asText() : code;
        errorMessage = error != null && error.hasNonNull("message") ? error.get("message").asText() : message;
    }

    /** The service's phase words, as people call them. */
    static String stageOf(String phase) {
        String p = phase.toLowerCase(Locale.ROOT);
        if (p.contains("fetch") || p.contains("download") || p.contains("import")) return "downloading";
        if (p.contains("convert") || p.contains("unpack") || p.contains("verif")) return "converting";
        if (p.contains("address")) return "waiting for address";
        if (p.contains("start") || p.contains("boot") || p.contains("install")) return "booting";
        return p.isEmpty() ? "queued" : p;
    }

    Outcome outcome() {
        return outcome;
    }

    String errorCode() {
        return errorCode;
    }

    String errorMessage() {
        return errorMessage;
    }

    String ip() {
        return ip;
    }

    /** The updating line while it runs. */
    String line(Instant now) {
        String elapsed = Formats.duration(Duration.between(stageSince, now));
        if (stage.equals("downloading")) {
            int filled = Math.min(BAR_WIDTH, percent * BAR_WIDTH / 100);
            return String.format("downloading  [%s%s] %3d%%  %s", "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), percent, elapsed);
        }
        return String.format("%s  %3d%%  %s", stage, percent, elapsed);
    }

    /** The last line: where the VM is, or why there is none. Ends with the address. */
    String finalLine(Instant now) {
        String total = Formats.duration(Duration.between(started, now));
        return switch (outcome) {
            case DONE -> ip.isEmpty() ? "VM " + vmId + " is " + status + " after " + total + ", without an address"
                    : "VM " + vmId + " is " + status + " after " + total + " at " + ip;
            case FAILED -> "hangar: " + errorCode + ": " + errorMessage;
            case RUNNING -> line(now);
        };
    }
}
