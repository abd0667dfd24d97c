package dev.hangar.core.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.vms.VmServiceTest.InMemoryOperationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** An operation is begun by the job that runs it, with what calls it off; anyone reads, waits for or cancels it. */
class OperationsTest {
    final InMemoryOperationStore store = new InMemoryOperationStore();
    final Operations operations = new Operations(store, Clock.systemUTC());

    @Test
    void theJobReportsThroughItsOperationAndEndsItOnceWhatComesAfterIsIgnored() {
        List<Operation> seen = new CopyOnWriteArrayList<>();
        operations.watch(seen::add);
        RunningOperation op = operations.begin("vm.create", "a");

        op.progress(40, "fetching the image");
        assertEquals(Operation.Status.RUNNING, operations.get(op.id()).status());
        assertEquals("fetching the image", operations.get(op.id()).phase());
        op.succeeded();
        op.progress(50, "too late");
        op.failed(new Problem("x", "too late"));

        Operation done = operations.get(op.id());
        assertEquals(Operation.Status.SUCCEEDED, done.status());
        assertEquals(100, done.progress());
        assertEquals(List.of("queued", "fetching the image", "done"), seen.stream().map(Operation::phase).toList(), "every change, told once");
    }

    @Test
    void oneOperationPerKindAndTargetTheRunningOneGoesOnAndARestartResumesTheStoredOne() {
        RunningOperation first = operations.begin("vm.create", "a");
        assertSame(first, operations.begin("vm.create", "a"), "the next phase of the same action");
        assertNotEquals(first.id(), operations.begin("vm.delete", "a").id());
        first.progress(30, "half way");

        // A new process over the same store: the job it resumes goes on with the operation it had.
        Operations afterRestart = new Operations(store, Clock.systemUTC());
        RunningOperation resumed = afterRestart.begin("vm.create", "a");
        assertEquals(first.id(), resumed.id());
        assertEquals(first.current().createdAt(), resumed.current().createdAt());
        assertEquals("half way", resumed.current().phase());
        resumed.succeeded();

        RunningOperation again = afterRestart.begin("vm.create", "a");
        assertEquals(Operation.Status.RUNNING, again.current().status(), "an ended pair begins afresh");
    }

    @Test
    void aCancelRunsTheCancellerOnceAndTheOperationEndsCancelledWhenItsWorkStops() {
        AtomicInteger cancels = new AtomicInteger();
        RunningOperation op = operations.begin("image.build", "i", cancels::incrementAndGet);
        assertTrue(operations.cancellable(op.id()));

        Operation cancelling = operations.cancel(op.id());
        operations.cancel(op.id());

        assertEquals(1, cancels.get(), "asking again changes nothing");
        assertEquals(Operation.Status.RUNNING, cancelling.status(), "the work has not stopped yet");
        assertEquals("cancelling", cancelling.phase());
        assertFalse(operations.cancellable(op.id()));
        op.failed(new Problem("build-cancelled", "the build was cancelled"));
        Operation ended = operations.get(op.id());
        assertEquals(Operation.Status.FAILED, ended.status());
        assertEquals("operation-cancelled", ended.error().code());
        assertTrue(ended.error().message().contains("build-cancelled"), ended.error().message());
    }

    @Test
    void whatCannotBeCancelledIsRefusedWithStableCodes() {
        RunningOperation deletion = operations.begin("vm.delete", "a");
        RunningOperation build = operations.begin("image.build", "b", () -> { });
        build.succeeded();

        assertEquals("operation-not-cancellable", assertThrows(HangarException.class, () -> operations.cancel(deletion.id())).code());
        HangarException finished = assertThrows(HangarException.class, () -> operations.cancel(build.id()));
        assertEquals("operation-finished", finished.code());
        assertEquals(HangarException.Kind.CONFLICT, finished.kind());
        HangarException unknown = assertThrows(HangarException.class, () -> operations.cancel(UUID.randomUUID()));
        assertEquals(HangarException.Kind.NOT_FOUND, unknown.kind());
        assertEquals("operation-not-found", unknown.code());

        // Stored as running by a process that is gone: nobody here runs it, so nobody can call it off.
        Operations afterRestart = new Operations(store, Clock.systemUTC());
        assertEquals("operation-not-cancellable", assertThrows(HangarException.class, () -> afterRestart.cancel(deletion.id())).code());
    }

    @Test
    void aWaitAnswersWhenTheOperationEndsOrWhenItsTimeIsUp() throws Exception {
        RunningOperation op = operations.begin("vm.create", "a");
        Instant start = Instant.now();
        assertEquals(Operation.Status.RUNNING, operations.await(op.id(), Duration.ofMillis(200)).status());
        assertTrue(Duration.between(start, Instant.now()).toMillis() >= 190, "waited its time");

        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            op.succeeded();
        });
        start = Instant.now();
        assertEquals(Operation.Status.SUCCEEDED, operations.await(op.id(), Duration.ofSeconds(30)).status());
        assertTrue(Duration.between(start, Instant.now()).toSeconds() < 5, "answered at the end, not at the timeout");
        assertEquals(Operation.Status.SUCCEEDED, operations.await(op.id(), Duration.ZERO).status());
    }
}
