package dev.hangar.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.Problem;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What /metrics says, from the VM and operation changes the service makes. */
class HangarMetricsTest {
    private final Instant accepted = Instant.parse("2026-11-30T10:00:00Z");
    private final HangarMetrics metrics = new HangarMetrics(() -> Map.of(VmStatus.POWERED_ON, 2L, VmStatus.ERROR, 1L), () -> 3L,
            Clock.fixed(accepted.plusSeconds(7), ZoneOffset.UTC));

    private Vm vm(UUID id, VmStatus status, String ip) {
        return Vm.builder().id(id).status(status).ipAddress(ip).createdAt(accepted).build();
    }

    @Test
    void vmsByStateAndPendingCallbacksAreReadAtEachScrape() {
        String text = metrics.scrape();
        assertTrue(text.contains("hangar_vms{state=\"powered-on\"} 2.0"), text);
        assertTrue(text.contains("hangar_vms{state=\"error\"} 1.0"), text);
        assertTrue(text.contains("hangar_vms{state=\"creating\"} 0.0"), text);
        assertTrue(text.contains("hangar_callbacks_pending 3.0"), text);
    }

    @Test
    void aCreateIsCountedOnceItsAddressTimedOnceAndAFailureByItsCode() {
        UUID ok = UUID.randomUUID();
        metrics.vmChanged(vm(ok, VmStatus.CREATING, ""));
        metrics.vmChanged(vm(ok, VmStatus.CREATING, ""));
        metrics.vmChanged(vm(ok, VmStatus.POWERED_ON, ""));
        metrics.vmChanged(vm(ok, VmStatus.POWERED_ON, "10.213.0.5"));
        metrics.vmChanged(vm(ok, VmStatus.POWERED_ON, "10.213.0.5"));
        UUID bad = UUID.randomUUID();
        metrics.vmChanged(vm(bad, VmStatus.CREATING, ""));
        metrics.vmChanged(vm(bad, VmStatus.ERROR, "").toBuilder().error(new Problem("image-checksum-mismatch", "no")).build());
        metrics.vmChanged(vm(bad, VmStatus.ERROR, "").toBuilder().error(new Problem("image-checksum-mismatch", "no")).build());

        String text = metrics.scrape();
        assertTrue(text.contains("hangar_vm_creates_total 2.0"), text);
        assertTrue(text.contains("hangar_vm_failures_total{code=\"image-checksum-mismatch\"} 1.0"), text);
        assertTrue(text.contains("hangar_vm_boot_to_address_seconds_count 1"), text);
        assertTrue(text.contains("hangar_vm_boot_to_address_seconds_sum 7.0"), text);
        assertTrue(text.contains("hangar_vm_boot_to_address_seconds_bucket{le="), "a histogram, for quantiles: " + text);
    }

    @Test
    void startsAreCountedWarmOrColdOnceAndTimedToTheAddressByHowTheyStarted() {
        UUID warm = UUID.randomUUID();
        metrics.vmChanged(vm(warm, VmStatus.CREATING, ""));
        metrics.vmChanged(vm(warm, VmStatus.POWERED_ON, "").toBuilder().start("warm").build());
        metrics.vmChanged(vm(warm, VmStatus.POWERED_ON, "10.213.0.6").toBuilder().start("warm").build());
        UUID cold = UUID.randomUUID();
        metrics.vmChanged(vm(cold, VmStatus.CREATING, ""));
        metrics.vmChanged(vm(cold, VmStatus.POWERED_ON, "").toBuilder().start("cold").build());

        String text = metrics.scrape();
        assertTrue(text.contains("hangar_vm_starts_total{start=\"warm\"} 1.0"), text);
        assertTrue(text.contains("hangar_vm_starts_total{start=\"cold\"} 1.0"), text);
        assertTrue(text.contains("hangar_vm_start_to_address_seconds_count{start=\"warm\"} 1"), text);
        assertFalse(text.contains("hangar_vm_start_to_address_seconds_count{start=\"cold\"}"), "the cold VM has no address yet: " + text);
    }

    @Test
    void finishedOperationsAreTimedByKindAndOutcome() {
        Operation op = Operation.start(UUID.randomUUID(), "image.build", "x", accepted);
        metrics.operationChanged(op);
        assertFalse(metrics.scrape().contains("hangar_operation_duration"), "a running operation is not timed yet");
        metrics.operationChanged(op.at(50, "building", accepted.plusSeconds(60)).succeeded(accepted.plusSeconds(174)));
        String text = metrics.scrape();
        assertTrue(text.contains("hangar_operation_duration_seconds_count{kind=\"image.build\",outcome=\"succeeded\"} 1"), text);
        assertTrue(text.contains("hangar_operation_duration_seconds_sum{kind=\"image.build\",outcome=\"succeeded\"} 174.0"), text);
    }

    @Test
    void theImageCacheCountsHitsMissesAndBytesAndCallbacksCountTheirAttempts() {
        metrics.imageCacheHit();
        metrics.imageCacheHit();
        metrics.imageDownloaded(1_500_000);
        metrics.callbackAttempt("retry");
        metrics.callbackAttempt("retry");
        metrics.callbackAttempt("delivered");
        String text = metrics.scrape();
        assertTrue(text.contains("hangar_image_cache_hits_total 2.0"), text);
        assertTrue(text.contains("hangar_image_cache_misses_total 1.0"), text);
        assertTrue(text.contains("hangar_image_download_bytes_total 1500000.0"), text);
        assertTrue(text.contains("hangar_callback_attempts_total{outcome=\"retry\"} 2.0"), text);
        assertTrue(text.contains("hangar_callback_attempts_total{outcome=\"delivered\"} 1.0"), text);
    }
}
