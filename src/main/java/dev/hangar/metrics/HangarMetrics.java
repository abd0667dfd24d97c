package dev.hangar.metrics;

import dev.hangar.core.operations.Operation;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Hangar's metrics, in Prometheus's text format (Micrometer's registry). What the service does is
 * watched, not told: VM record changes give creates, failures by code and the time from accepted to
 * an address; operation changes give durations by kind and outcome (builds, installs, deletes); the
 * VMs by state and the callbacks waiting are read from the store at each scrape, so they are never
 * out of step with it. HTTP requests by route and status come from the listeners (see
 * {@code api/ops/RequestMetrics}).
 */
public final class HangarMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Clock clock;
    /** What each VM was last seen as: to count a create once, a failure once, an address once. */
    private final Map<UUID, Seen> seen = new ConcurrentHashMap<>();

    private record Seen(VmStatus status, boolean addressed, String start) {}

    /**
     * @param vmsByState the VMs by state now (read at each scrape)
     * @param callbacksPending the callbacks waiting to be delivered now
     */
    public HangarMetrics(Supplier<Map<VmStatus, Long>> vmsByState, Supplier<Long> callbacksPending, Clock clock) {
        this.clock = clock;
        Supplier<Map<VmStatus, Long>> once = memoized(vmsByState); // one read of the store a scrape, not one a state
        for (VmStatus state : VmStatus.values()) {
            Gauge.builder("hangar.vms", () -> once.get().getOrDefault(state, 0L))
                    .description("VMs by state").tag("state", state.wireName()).register(registry);
        }
        Gauge.builder("hangar.callbacks.pending", () -> callbacksPending.get())
                .description("callbacks waiting to be delivered (with their retries)").register(registry);
    }

    /** Warm pools: the spares ready and the memory their machines hold (read at each scrape). */
    public void warmPools(Supplier<Long> spares, Supplier<Long> residentBytes) {
        Gauge.builder("hangar.warm.pool.spares", () -> spares.get()).description("paused warm clones ready in the images' pools").register(registry);
        Gauge.builder("hangar.warm.pool.resident", () -> residentBytes.get()).baseUnit("bytes")
                .description("memory the pools' spares hold resident (their own pages and the templates' shared ones)").register(registry);
    }

    /** The supplier's value, read again only when the last read is a second old (a scrape reads every gauge at once). */
    private static <T> Supplier<T> memoized(Supplier<T> source) {
        return new Supplier<>() {
            private T value;
            private long readAt;

            @Override
            public synchronized T get() {
                long now = System.nanoTime();
                if (value == null || now - readAt > 1_000_000_000L) {
                    value = source.get();
                    readAt = now;
                }
                return value;
            }
        };
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The text a Prometheus server scrapes. */
    public String scrape() {
        return registry.scrape();
    }

    /** A VM record was written (or removed: it then reads deleting). Only takes note. */
    public void vmChanged(Vm vm) {
        Seen before = seen.get(vm.id());
        boolean addressed = vm.ipAddress() != null && !vm.ipAddress().isEmpty();
        if (vm.status() == VmStatus.DELETING) {
            seen.remove(vm.id());
            return;
        }
        if (before == null && vm.status() == VmStatus.CREATING) {
            Counter.builder("hangar.vm.creates").description("VMs accepted for creation").register(registry).increment();
        }
        if (vm.status() == VmStatus.ERROR && (before == null || before.status() != VmStatus.ERROR)) {
            String code = vm.error() == null ? "unknown" : vm.error().code();
            Counter.builder("hangar.vm.failures").description("VMs that ended in error, by code").tag("code", code)
                    .register(registry).increment();
        }
        if (!vm.start().isEmpty() && (before == null || !vm.start().equals(before.start()))) {
            Counter.builder("hangar.vm.starts").description("machines of created VMs started, warm (from a memory template) or cold (booted)")
                    .tag("start", vm.start()).register(registry).increment();
        }
        if (addressed && (before == null || !before.addressed()) && vm.createdAt() != null) {
            Duration took = Duration.between(vm.createdAt(), clock.instant());
            if (!took.isNegative() && took.compareTo(Duration.ofHours(1)) < 0) {
                Timer.builder("hangar.vm.boot.to.address").description("from a create accepted to the guest's address")
                        .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(10)).register(registry).record(took);
                if (!vm.start().isEmpty()) {
                    Timer.builder("hangar.vm.start.to.address").description("from a create accepted to the guest's address, by how it started")
                            .tag("start", vm.start()).register(registry).record(took);
                }
            }
        }
        seen.put(vm.id(), new Seen(vm.status(), addressed || (before != null && before.addressed()), vm.start()));
    }

    /** A create found its image's gold in the cache: nothing downloaded. */
    public void imageCacheHit() {
        Counter.builder("hangar.image.cache.hits").description("creates whose gold image was already cached").register(registry).increment();
    }

    /** An image was downloaded into the cache (a miss): its bytes. */
    public void imageDownloaded(long bytes) {
        Counter.builder("hangar.image.cache.misses").description("images downloaded because no gold was cached").register(registry).increment();
        Counter.builder("hangar.image.download.bytes").description("bytes of images downloaded").baseUnit("bytes")
                .register(registry).increment(bytes);
    }

    /** A callback was tried: delivered, retry (it will be tried again), refused, forbidden or abandoned. */
    public void callbackAttempt(String outcome) {
        Counter.builder("hangar.callback.attempts").description("callback deliveries tried, by outcome").tag("outcome", outcome)
                .register(registry).increment();
    }

    /** An operation was saved: a finished one is timed by kind (vm.create, image.build, …) and outcome. */
    public void operationChanged(Operation op) {
        if (op.status() == Operation.Status.RUNNING) return;
        Timer.builder("hangar.operation.duration").description("long actions, by kind and outcome")
                .tag("kind", op.kind()).tag("outcome", op.status().name().toLowerCase(Locale.ROOT))
                .register(registry).record(Duration.between(op.createdAt(), op.updatedAt()));
    }
}
