package dev.hangar.core.vms;

import dev.hangar.core.Cancellation;
import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.networks.LeaseChanges;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.RunningOperation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's creation, as a job that a restarted service runs again from the record: fetch what it boots
 * from, make its disks, wire it, boot it (under the VM's lock), then wait for its address and call
 * back. Its progress is an {@link Operation}; a failure ends the VM in error with a code, stops what
 * was started, and calls back.
 */
final class CreationJob {
    private static final Logger log = LoggerFactory.getLogger(CreationJob.class);
    /** The longest the address wait goes without looking at the VM's record (a delete, a power-off). */
    private static final Duration RECORD_CHECK = Duration.ofMillis(500);
    private static final Duration AGENT_POLL = Duration.ofSeconds(2);
    /** How long a warm start may take to show an address before the VM boots cold instead. */
    static final Duration WARM_ADDRESS = Duration.ofSeconds(10);

    private final VmStore vms;
    private final MachineLauncher launcher;
    private final WarmPools pools;
    private final MachineDriver driver;
    private final GuestObserver guests;
    private final CallbackSink callbacks;
    private final Operations operations;
    private final java.util.function.Consumer<UUID> callOff;
    private final VmLocks locks;
    private final VmSettings settings;
    private final Clock clock;
    private final BooleanSupplier running;
    /** The creations under way, each with what calls it off. */
    private final java.util.concurrent.ConcurrentHashMap<UUID, Cancellation> underway = new java.util.concurrent.ConcurrentHashMap<>();

    CreationJob(VmStore vms, MachineLauncher launcher, WarmPools pools, MachineDriver driver, GuestObserver guests, CallbackSink callbacks, Operations operations, VmLocks locks, VmSettings settings, Clock clock,
                BooleanSupplier running, java.util.function.Consumer<UUID> callOff) {
        this.vms = vms;
        this.launcher = launcher;
        this.pools = pools;
        this.driver = driver;
        this.guests = guests;
        this.callbacks = callbacks;
        this.operations = operations;
        this.locks = locks;
        this.settings = settings;
        this.clock = clock;
        this.running = running;
        this.callOff = callOff;
    }

    void run(UUID id) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null) return;
        Cancellation cancellation = new Cancellation();
        if (underway.putIfAbsent(id, cancellation) != null) return; // already running (a resume racing a create)
        try {
            run(vm, cancellation);
        } finally {
            underway.remove(id, cancellation);
        }
    }

    /** Calls off the VM's creation, if one is under way (its VM is being deleted). */
    void cancel(UUID id) {
        Cancellation cancellation = underway.get(id);
        if (cancellation != null) cancellation.cancel();
    }

    private void run(Vm vm, Cancellation cancellation) {
        UUID id = vm.id();
        RunningOperation op = operations.begin(VmOperationKinds.CREATE, id.toString(), () -> callOff.accept(id));
        try {
            op.progress(10, switch (vm.boot()) {
                case BootSource.Image i -> "fetching the image";
                case BootSource.NetworkInstall n -> "fetching the installer";
                case BootSource.Disk d -> "making the disks";
                case BootSource.Library l -> "importing the library VM";
            });
            DownloadReport download = new DownloadReport(op);
            MachineLauncher.BootMedia media = launcher.media(vm, download, cancellation);
            op.progress(60, "starting the machine");
            java.util.concurrent.atomic.AtomicReference<String> startNote = new java.util.concurrent.atomic.AtomicReference<>();
            if (!locks.with(id, () -> boot(id, media, op, startNote))) {
                op.failed(new Problem("vm-deleted", "the VM was deleted before its machine started"));
                return;
            }
            if (vm.boot() instanceof BootSource.NetworkInstall) {
                // Its own operation, ended by the monitor when the installer powers the machine off.
                operations.begin(VmOperationKinds.INSTALL, id.toString(), () -> callOff.accept(id)).progress(50, "the installer runs");
            }
            op.progress(80, "waiting for the address");
            if (warmWithoutAddress(id)) {
                startNote.set("the warm start got no address within " + WARM_ADDRESS.toSeconds() + " s; booted cold");
                op.progress(80, startNote.get());
                if (!locks.with(id, () -> bootColdAgain(id, media))) {
                    op.failed(new Problem("vm-deleted", "the VM was deleted before its machine started"));
                    return;
                }
            }
            String note = startNote.get();
            end(op, id, report(id), note == null ? "done" : "done; " + note);
        } catch (HangarException e) {
            if (!running.getAsBoolean()) return; // cut off by shutdown: the record says creating, the next start resumes it
            if (cancellation.isCancelled()) {
                op.failed(new Problem("vm-deleted", "the VM was deleted while it was being created"));
                return;
            }
            // Failures of this host (not of the image or the request) all read vm-create-failed.
            fail(id, op, e.kind() == HangarException.Kind.INTERNAL ? new Problem("vm-create-failed", e.getMessage()) : Problem.of(e));
        } catch (RuntimeException e) {
            if (!running.getAsBoolean()) return;
            log.warn("creating VM {} failed", id, e);
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            fail(id, op, new Problem("vm-create-failed", cause.getMessage() == null ? cause.toString() : cause.getMessage()));
        }
    }

    /**
     * The download's bytes in the operation, for people watching (the CLI's bar): at most once a second,
     * as "downloading the image: N of M bytes" between 10 and 50 percent, then "converting the disks".
     */
    private final class DownloadReport implements GoldImages.FetchProgress {
        private static final long EVERY_MILLIS = 1000;
        private final RunningOperation op;
        private long lastSaved = clock.millis();

        DownloadReport(RunningOperation op) {
            this.op = op;
        }

        @Override
        public void downloaded(long bytes, long total) {
            long now = clock.millis();
            if (now - lastSaved < EVERY_MILLIS) return;
            lastSaved = now;
            int percent = total > 0 ? 10 + (int) Math.min(40, bytes * 40 / total) : op.current().progress();
            op.progress(percent, "downloading the image: " + bytes + (total > 0 ? " of " + total : "") + " bytes");
        }

        @Override
        public void converting() {
            op.progress(50, "converting the disks");
        }
    }

    /** The address wait and callback of a creation a restart cut off in that phase; ends its operation. */
    void resumeReport(UUID id) {
        RunningOperation op = operations.begin(VmOperationKinds.CREATE, id.toString(), () -> callOff.accept(id));
        end(op, id, report(id), "done");
    }

    /** Ends the creation's operation once its report is done: unless shutdown cut the wait off, or the VM went. */
    private void end(RunningOperation op, UUID id, boolean reported, String finalPhase) {
        if (!running.getAsBoolean()) return;
        if (reported) op.succeeded(finalPhase);
        else op.failed(new Problem("vm-deleted", "the VM was deleted while it was being created"));
    }

    /**
     * Sizes, wires and starts the machine under the VM's lock, warm when it can (a failed warm start
     * boots cold, and says so in the operation); false when the VM was deleted meanwhile.
     */
    private boolean boot(UUID id, MachineLauncher.BootMedia media, RunningOperation op, java.util.concurrent.atomic.AtomicReference<String> startNote) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null || vm.status() != VmStatus.CREATING) return false;
        vm = Sizing.sized(vm, media.profile(), settings);
        if (pools.isTaken(id)) {
            if (pools.handOut(vm)) {
                vms.update(vm.toBuilder().status(VmStatus.POWERED_ON).start(Vm.START_WARM).build());
                return true;
            }
            startNote.set("its pool spare failed; booted cold");
            op.progress(60, startNote.get());
        }
        try {
            vms.update(launcher.create(vm, media, note -> {
                startNote.set(note);
                op.progress(60, note);
            }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    /**
     * Whether the VM started warm and got no address within {@link #WARM_ADDRESS}: its image's hook did
     * not bring its network up with the new MAC, say. A cold boot would take longer than this wait.
     */
    private boolean warmWithoutAddress(UUID id) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null || !Vm.START_WARM.equals(vm.start())) return false;
        // Leases only: the agent could still report the template's address before DHCP has run again.
        return !guests.awaitAddress(vm, WARM_ADDRESS, false, running) && running.getAsBoolean();
    }

    /** The warm machine goes, with its disks, and the VM boots cold; false when the VM was deleted meanwhile. */
    private boolean bootColdAgain(UUID id, MachineLauncher.BootMedia media) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null || !vm.status().isSettled()) return false;
        launcher.discardMachine(vm);
        try {
            vms.update(launcher.launch(vm.toBuilder().start(Vm.START_COLD).build(), media));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    /**
     * The last phase of a creation: waits for the guest's address until tools_init_timeout, records it,
     * and calls back either way. The lease files are watched (a lease granted ends the wait at once,
     * not at the next poll); the guest agent, which costs a timeout when the guest has none, is asked
     * every {@link #AGENT_POLL}. The VM stays marked "awaiting
     * address" until its callback is in the outbox, so a restart in between resumes here. A guest that
     * powers off meanwhile ends the wait (the monitor records its status). An installer's address
     * means nothing to anyone: it is not waited for. False when the VM went meanwhile (or shutdown cut the
     * wait off).
     */
    boolean report(UUID id) {
        Vm vm = vms.find(id).orElse(null);
        if (vm == null) return false;
        Duration timeout = vm.toolsInitTimeoutSeconds() > 0
                ? Duration.ofSeconds(vm.toolsInitTimeoutSeconds()) : settings.toolsInitTimeout();
        Instant until = clock.instant().plus(timeout);
        Instant nextAgentQuery = clock.instant();
        Vm observed = vm;
        try (LeaseChanges leases = guests.watchLeases(vm)) { // begun before the first look: no lease is missed
            while (!(vm.boot() instanceof BootSource.NetworkInstall)) {
                if (!running.getAsBoolean()) return false;
                boolean askAgent = !clock.instant().isBefore(nextAgentQuery);
                if (askAgent) nextAgentQuery = clock.instant().plus(AGENT_POLL);
                observed = guests.observe(vm, askAgent);
                if (!observed.ipAddress().isEmpty() || clock.instant().isAfter(until)) break;
                waitForLease(leases, nextAgentQuery, until);
                vm = vms.find(id).orElse(null);
                if (vm == null || vm.status() == VmStatus.DELETING) return false;
                if (vm.status() == VmStatus.POWERED_OFF) {
                    log.info("VM {} powered off before it had an address", id);
                    observed = vm;
                    break;
                }
            }
        }
        if (observed.ipAddress().isEmpty()) log.info("VM {}: no address within {}", id, timeout);
        Vm seen = observed;
        return locks.with(id, () -> {
            Vm current = vms.find(id).orElse(null);
            if (current == null || !current.status().isSettled()) return false; // deleted meanwhile
            Vm done = current.toBuilder().ipAddress(seen.ipAddress().isEmpty() ? current.ipAddress() : seen.ipAddress())
                    .guestOs(seen.guestOs().isEmpty() ? current.guestOs() : seen.guestOs()).build();
            if (!done.equals(current)) vms.update(done);
            callbacks.created(done);
            vms.reported(id);
            return true;
        });
    }

    private void fail(UUID id, RunningOperation op, Problem problem) {
        log.warn("VM {} failed: {} ({})", id, problem.code(), problem.message());
        op.failed(problem);
        stopQuietly(id);
        boolean recorded = locks.with(id, () -> {
            Optional<Vm> vm = vms.find(id);
            if (vm.isEmpty() || vm.get().status() == VmStatus.DELETING) return false;
            launcher.detach(vm.get());
            vms.update(vm.get().failed(problem));
            return true;
        });
        if (recorded) reportFailure(id);
    }

    /** Calls back with the failure, then marks it reported; a restart in between calls back again. */
    void reportFailure(UUID id) {
        vms.find(id).filter(vm -> vm.status() == VmStatus.ERROR).ifPresent(vm -> {
            callbacks.failed(vm);
            vms.reported(id);
        });
    }

    private void stopQuietly(UUID id) {
        try {
            driver.stop(launcher.dir(id), Duration.ZERO);
        } catch (RuntimeException e) {
            log.warn("stopping VM {}: {}", id, e.toString());
        }
    }

    /** Until a lease changes, the agent is due, the time is up, or the record is due a look: whichever comes first. */
    private void waitForLease(LeaseChanges leases, Instant nextAgentQuery, Instant until) {
        Instant now = clock.instant();
        Duration wait = RECORD_CHECK;
        for (Instant next : new Instant[] {nextAgentQuery, until}) {
            Duration d = Duration.between(now, next);
            if (d.compareTo(wait) < 0) wait = d;
        }
        try {
            leases.await(wait.isNegative() || wait.isZero() ? Duration.ofMillis(1) : wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
