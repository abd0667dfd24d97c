package dev.hangar.api.vms;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hangar.api.Json;
import dev.hangar.callbacks.CallbackDispatcher;
import dev.hangar.core.vms.CallbackSink;
import dev.hangar.core.vms.Vm;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * The OS X Builder's callbacks: the VM JSON when creation finishes, the error object with the VM id
 * when it fails. Sent through the callback outbox (so they survive restarts).
 */
public final class VmCallbacks implements CallbackSink {
    private final CallbackDispatcher callbacks;
    private final Duration retryFor;

    public VmCallbacks(CallbackDispatcher callbacks, Duration retryFor) {
        this.callbacks = callbacks;
        this.retryFor = retryFor;
    }

    @Override
    public void created(Vm vm) {
        send(vm, VmJson.render(vm));
    }

    @Override
    public void failed(Vm vm) {
        send(vm, VmJson.renderFailure(vm));
    }

    private void send(Vm vm, Object body) {
        if (vm.callbackUrl() == null) return;
        try {
            callbacks.send(vm.id().toString(), vm.callbackUrl(), "POST", Json.MAPPER.writeValueAsString(body), retryFor);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
