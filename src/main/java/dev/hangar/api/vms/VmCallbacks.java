package dev.hangar.api.vms;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hangar.api.Json;
import dev.hangar.callbacks.CallbackDispatcher;
import dev.hangar.core.vms.CallbackSink;
import dev.hangar.core.vms.Vm;
import dev.hangar.store.CallbackOutbox;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;

/**
 * The OS X Builder's callbacks: the VM JSON when creation finishes, the error object with the VM id
 * when it fails. Written to the outbox (so they survive restarts) and handed to the dispatcher.
 */
public final class VmCallbacks implements CallbackSink {
    private final CallbackOutbox outbox;
    private final CallbackDispatcher dispatcher;
    private final Duration retryFor;
    private final Clock clock;

    public VmCallbacks(CallbackOutbox outbox, CallbackDispatcher dispatcher, Duration retryFor, Clock clock) {
        this.outbox = outbox;
        this.dispatcher = dispatcher;
        this.retryFor = retryFor;
        this.clock = clock;
    }

    @Override
    public void created(Vm vm) {
        enqueue(vm, VmJson.render(vm));
    }

    @Override
    public void failed(Vm vm) {
        enqueue(vm, VmJson.renderFailure(vm));
    }

    private void enqueue(Vm vm, Object body) {
        if (vm.callbackUrl() == null) return;
        try {
            outbox.enqueue(vm.id().toString(), vm.callbackUrl(), Json.MAPPER.writeValueAsString(body), clock.instant(), retryFor);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        dispatcher.wake();
    }
}
