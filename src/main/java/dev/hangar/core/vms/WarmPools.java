package dev.hangar.core.vms;

import dev.hangar.core.FileTrees;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.Nic;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pools of warm clones made ahead (an image's {@code "pool": N}, see docs/warm-starts.md): each spare
 * is a clone of the image's default-shape template on the {@code nat} network, restored, given its own
 * MAC and address, then paused. A create that fits (that image, no sizes or the default ones, only the
 * nat network, nothing a template cannot have) takes one: its record gets the spare's id and NIC, and
 * its creation only runs the machine on and sets its clock ({@link #handOut}); a refill starts behind
 * it. Spares are no VMs: not listed, counted or called back; a restart ends them (no record names
 * them) and fills the pools again.
 */
final class WarmPools implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPools.class);
    /** A spare must have its address within this, else it goes. */
    private static final Duration ADDRESS_WAIT = Duration.ofSeconds(15);

    /** A paused clone, ready: its id becomes the VM's, its NIC the VM's. */
    record Spare(UUID id, Nic nic, String goldKey, int cpus, long memoryMib) {}

    private final WarmStarts warm;
    private final MachineLauncher launcher;
    private final GuestObserver guests;
    private final MachineDriver driver;
    private final WarmTemplates templates;
    private final GoldImages golds;
    private final VmSettings settings;
    private final Predicate<String> macInUse;
    private final Clock clock;
    private final BooleanSupplier running;
    private final Map<String, Deque<Spare>> ready = new ConcurrentHashMap<>();
    /** Spares taken by creates, until their creation hands them out. */
    private final Map<UUID, Spare> taken = new ConcurrentHashMap<>();
    private final Set<String> filling = ConcurrentHashMap.newKeySet();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("warm-pools").factory());

    WarmPools(WarmStarts warm, MachineLauncher launcher, GuestObserver guests, MachineDriver driver, WarmTemplates templates, GoldImages golds,
              VmSettings settings, Predicate<String> macInUse, Clock clock, BooleanSupplier running) {
        this.warm = warm;
        this.launcher = launcher;
        this.guests = guests;
        this.driver = driver;
        this.templates = templates;
        this.golds = golds;
        this.settings = settings;
        this.macInUse = macInUse;
        this.clock = clock;
        this.running = running;
    }

    /** How many spares of the image are ready now. */
    int ready(String goldKey) {
        Deque<Spare> spares = ready.get(goldKey);
        return spares == null ? 0 : spares.size();
    }

    /** Spares ready in every pool. */
    long spares() {
        return ready.values().stream().mapToLong(Deque::size).sum();
    }

    /** The memory every ready spare's machine holds resident. */
    long residentBytes() {
        return ready.values().stream().flatMap(Deque::stream).mapToLong(s -> driver.residentBytes(launcher.dir(s.id()))).sum();
    }

    /**
     * The golds whose pools hold spares (their templates' disks are in use, as a VM's are). A taken
     * spare is a VM already, whose record counts its gold.
     */
    Set<String> pooledGolds() {
        Set<String> out = ConcurrentHashMap.newKeySet();
        ready.forEach((k, v) -> { if (!v.isEmpty()) out.add(k); });
        return out;
    }

    /** Starts filling every image's pool to its size (at start, and when a size changes). */
    void fillAll() {
        for (var image : golds.cachedImages()) fill(image.key());
    }

    /** Brings the image's pool to its size in the background: more spares, or fewer. */
    void fill(String goldKey) {
        WarmTemplates.Settings wanted = templates.settings(goldKey);
        int size = wanted.enabled() ? wanted.pool() : 0;
        Deque<Spare> spares = ready.computeIfAbsent(goldKey, k -> new ConcurrentLinkedDeque<>());
        while (spares.size() > size) {
            Spare extra = spares.pollLast();
            if (extra != null) worker.execute(() -> discard(extra));
        }
        if (spares.size() < size && filling.add(goldKey)) {
            worker.execute(() -> {
                try {
                    refill(goldKey);
                } finally {
                    filling.remove(goldKey);
                }
            });
        }
    }

    private void refill(String goldKey) {
        while (running.getAsBoolean()) {
            WarmTemplates.Settings wanted = templates.settings(goldKey);
            Deque<Spare> spares = ready.computeIfAbsent(goldKey, k -> new ConcurrentLinkedDeque<>());
            if (!wanted.enabled() || spares.size() >= wanted.pool()) return;
            Optional<GoldImage> gold = golds.byKey(goldKey);
            if (gold.isEmpty()) return;
            Optional<Spare> made = make(gold.get());
            if (made.isEmpty()) return; // no template yet, or it failed: the next create or size change tries again
            spares.addLast(made.get());
            log.info("pool of {}: spare {} ready ({} of {})", goldKey, made.get().id(), spares.size(), wanted.pool());
        }
    }

    /** A spare: the default shape restored warm on nat, its address leased, paused. Empty when that cannot be. */
    private Optional<Spare> make(GoldImage gold) {
        UUID id = UUID.randomUUID();
        String mac;
        do {
            mac = Nic.randomMac();
        } while (macInUse.test(mac) || isSpareMac(mac));
        Nic nic = new Nic(Network.NAT, mac);
        Vm shape = Sizing.sized(Vm.builder().id(id).nics(List.of(nic)).createdAt(clock.instant()).build(), gold.profile(), settings);
        if (templates.list(gold.key()).stream().noneMatch(t -> t.state().equals("ready"))) {
            log.info("pool of {}: no template ready yet", gold.key());
            return Optional.empty();
        }
        try {
            Vm started = launcher.create(shape, new MachineLauncher.BootMedia(gold, null), note -> { });
            if (!Vm.START_WARM.equals(started.start())) {
                log.info("pool of {}: no template of the default shape ready yet", gold.key());
                discard(new Spare(id, nic, gold.key(), shape.cpus(), shape.memoryMib()));
                return Optional.empty();
            }
            // Its lease, or (user mode, where no lease is seen) what its agent says.
            if (!guests.awaitAddress(started, ADDRESS_WAIT, true, running)) throw new IOException("no address within " + ADDRESS_WAIT);
            driver.pause(launcher.dir(id));
            return Optional.of(new Spare(id, nic, gold.key(), shape.cpus(), shape.memoryMib()));
        } catch (IOException | RuntimeException e) {
            log.warn("pool of {}: a spare failed: {}", gold.key(), e.getMessage());
            discard(new Spare(id, nic, gold.key(), shape.cpus(), shape.memoryMib()));
            return Optional.empty();
        }
    }

    private boolean isSpareMac(String mac) {
        return ready.values().stream().flatMap(Deque::stream).anyMatch(s -> s.nic().mac().equals(mac))
                || taken.values().stream().anyMatch(s -> s.nic().mac().equals(mac));
    }

    /**
     * A spare for a create of this image with these networks and requested sizes, if the pool has one
     * that fits; it is the create's now (its id and NIC become the VM's) and a refill starts.
     */
    Optional<Spare> take(String goldKey, List<String> networks, Integer cpus, Long memoryMib, boolean plain) {
        if (!plain || !networks.equals(List.of(Network.NAT))) return Optional.empty();
        Deque<Spare> spares = ready.get(goldKey);
        if (spares == null) return Optional.empty();
        for (Spare s : spares) {
            if ((cpus != null && cpus != s.cpus()) || (memoryMib != null && memoryMib != s.memoryMib())) continue;
            if (spares.remove(s)) {
                taken.put(s.id(), s);
                fill(goldKey);
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Puts back a spare whose create was refused after it was taken (a limit): it is as ready as before. */
    void giveBack(Spare spare) {
        if (taken.remove(spare.id()) != null) ready.computeIfAbsent(spare.goldKey(), k -> new ConcurrentLinkedDeque<>()).addFirst(spare);
    }

    /** Whether this VM's machine is a spare its create took. */
    boolean isTaken(UUID id) {
        return taken.containsKey(id);
    }

    /**
     * Runs the taken spare on as the VM: its clock set, its hostname the VM's name when it has one.
     * False (the spare gone) when that fails: the creation then boots the VM cold.
     */
    boolean handOut(Vm vm) {
        Spare spare = taken.remove(vm.id());
        if (spare == null) return false;
        try {
            warm.handOut(launcher.dir(vm.id()), vm, driver);
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("VM {}: its pool spare failed ({}); booting it cold", vm.id(), e.getMessage());
            launcher.discardMachine(vm);
            return false;
        }
    }

    private void discard(Spare spare) {
        try {
            driver.stop(launcher.dir(spare.id()), Duration.ZERO);
        } catch (RuntimeException e) {
            log.warn("stopping spare {}: {}", spare.id(), e.getMessage());
        }
        launcher.detach(Vm.builder().id(spare.id()).nics(List.of(spare.nic())).build());
        FileTrees.delete(launcher.dir(spare.id()));
        FileTrees.delete(launcher.warmDisksDir(spare.id()));
    }

    /** Ends every spare (they are no VMs: nothing would adopt them). */
    @Override
    public void close() {
        worker.shutdownNow();
        List<Spare> all = new ArrayList<>();
        ready.values().forEach(all::addAll);
        ready.clear();
        all.forEach(this::discard);
    }
}
