package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code vm create --wait} knows of one creation, fed the service's events (and, between them, the
 * VM as GET /vms/ID shows it), and the one line it shows: a bar while the image downloads, then
 * "booting" and "waiting for address", each with the time it has taken so far. No I/O here.
 */
final class CreateProgress {
    enum Outcome { RUNNING, DONE, FAILED }

    static final int BAR_WIDTH = 24;
    /** The service's download phase: "downloading the image: N of M bytes" (or "N bytes" without a length). */
    private static final Pattern BYTES = Pattern.compile("(\\d+)(?: of (\\d+))? bytes");

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
    private long bytes = -1;
    private long total = -1;

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
        String phase = op.path("phase").asText("");
        stage(stageOf(phase), now);
        Matcher m = BYTES.matcher(phase);
        if (stage.equals("downloading") && m.find()) {
            bytes = Long.parseLong(m.group(1));
            total = m.group(2) == null ? -1 : Long.parseLong(m.group(2));
        }
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
            int shown = total > 0 ? (int) Math.min(100, bytes * 100 / total) : percent;
            int filled = Math.min(BAR_WIDTH, shown * BAR_WIDTH / 100);
            return String.format("downloading  [%s%s] %3d%%%s  %s", "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), shown,
                    bytesRateEta(now), elapsed);
        }
        return String.format("%s  %3d%%  %s", stage, percent, elapsed);
    }

    /** "  12.0 MiB of 40.0 MiB  3.2 MiB/s  ETA 9s", as far as the service said; the rate is the average since the download began. */
    private String bytesRateEta(Instant now) {
        if (bytes < 0) return "";
        StringBuilder s = new StringBuilder("  ").append(Formats.bytes(bytes));
        if (total > 0) s.append(" of ").append(Formats.bytes(total));
        double seconds = Duration.between(stageSince, now).toMillis() / 1000.0;
        if (seconds >= 1 && bytes > 0) {
            double rate = bytes / seconds;
            s.append("  ").append(Formats.bytes((long) rate)).append("/s");
            if (total > bytes) s.append("  ETA ").append(Formats.duration(Duration.ofSeconds((long) Math.ceil((total - bytes) / rate))));
        }
        return s.toString();
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
