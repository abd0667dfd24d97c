package dev.hangar.core.vms;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.CachedImage;
import dev.hangar.core.images.GoldImages;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which gold images may go. A gold is in use while any VM record (whatever its status, deleting
 * too: its clone's files still point at the gold) boots from it. Unused golds go on request (prune),
 * and, when the cache has a size limit, least recently used first until the cache fits, each time a
 * creation settles. A gold in use is never removed, even over the limit: the cache then stays over it
 * (logged) until VMs go.
 */
public final class ImageCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageCache.class);

    /** A cached gold and how many VMs use it. */
    public record Entry(CachedImage image, int vms) {}

    private final GoldImages images;
    private final VmStore vms;
    private final OptionalLong limitBytes;
    /** Held while golds are chosen and removed: the VM service's admissions lock (see VmService#admissions). */
    private final Lock lock;
    private final java.util.function.Supplier<java.util.Set<String>> pooled;
    private final ExecutorService evictions = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("image-cache").factory());
    private final AtomicBoolean evictionQueued = new AtomicBoolean();

    /**
     * @param admissions the lock creates hold while they count and insert a VM record: with it held here,
     *                   no VM is accepted between "nobody uses this gold" and its removal
     */
    public ImageCache(GoldImages images, VmStore vms, OptionalLong limitBytes, Lock admissions) {
        this(images, vms, limitBytes, admissions, java.util.Set::of);
    }

    /** @param pooled the golds warm pools' spares run from: in use too (see VmService#pooledGolds) */
    public ImageCache(GoldImages images, VmStore vms, OptionalLong limitBytes, Lock admissions, java.util.function.Supplier<java.util.Set<String>> pooled) {
        this.images = images;
        this.vms = vms;
        this.limitBytes = limitBytes;
        this.lock = admissions;
        this.pooled = pooled;
    }

    public OptionalLong limitBytes() {
        return limitBytes;
    }

    /** Every cached gold, least recently used first, with the VMs that use it. */
    public List<Entry> list() {
        Map<String, Integer> users = users();
        return images.cachedImages().stream().sorted(Comparator.comparing(CachedImage::lastUsed))
                .map(i -> new Entry(i, users.getOrDefault(i.key(), 0))).toList();
    }

    /** Removes every gold no VM uses; what it removed. */
    public List<CachedImage> prune() {
        return removeUnused(Long.MIN_VALUE);
    }

    /** Called as VMs change: when a creation settled and the cache has a limit, evicts (once, in the background). */
    public void noticed(Vm vm) {
        if (limitBytes.isEmpty() || vm.status() == VmStatus.CREATING) return;
        if (evictionQueued.compareAndSet(false, true)) {
            evictions.execute(() -> {
                evictionQueued.set(false);
                try {
                    fit();
                } catch (RuntimeException e) {
                    log.warn("image cache eviction failed: {}", e.getMessage());
                }
            });
        }
    }

    /** Evicts unused golds, least recently used first, until the cache is within its limit; what it removed. */
    public List<CachedImage> fit() {
        return limitBytes.isPresent() ? removeUnused(limitBytes.getAsLong()) : List.of();
    }

    /** Removes unused golds, oldest use first, while the cache is over {@code target} bytes. */
    private List<CachedImage> removeUnused(long target) {
        lock.lock();
        try {
            List<CachedImage> all = new ArrayList<>(images.cachedImages());
            all.sort(Comparator.comparing(CachedImage::lastUsed));
            long total = all.stream().mapToLong(CachedImage::bytes).sum();
            Map<String, Integer> users = users(); // no VM is accepted while the lock is held: this stays true
            List<CachedImage> removed = new ArrayList<>();
            for (CachedImage image : all) {
                if (total <= target) break;
                if (users.containsKey(image.key())) continue;
                try {
                    images.remove(image.key());
                } catch (HangarException e) {
                    log.warn("cannot remove gold image {}: {}", image.key(), e.getMessage()); // the others may still go
                    continue;
                }
                total -= image.bytes();
                removed.add(image);
                log.info("removed gold image {} ({} bytes, last used {})", image.key(), image.bytes(), image.lastUsed());
            }
            if (target != Long.MIN_VALUE && total > target) {
                log.warn("the image cache holds {} bytes, over its limit of {}: every remaining gold is in use", total, target);
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Gold key → the number of VM records that boot from it. Library VMs count for every import of their folder. */
    private Map<String, Integer> users() {
        Map<String, Integer> users = new HashMap<>();
        List<String> libraryPrefixes = new ArrayList<>();
        for (Vm vm : vms.all()) {
            switch (vm.boot()) {
                case BootSource.Image i -> users.merge(i.image().cacheKey(), 1, Integer::sum);
                case BootSource.Library l -> libraryPrefixes.add(LIBRARY_KEY_PREFIX + l.name() + "-");
                default -> { }
            }
        }
        for (String key : pooled.get()) users.merge(key, 1, Integer::sum);
        if (!libraryPrefixes.isEmpty()) {
            for (CachedImage image : images.cachedImages()) {
                for (String prefix : libraryPrefixes) {
                    if (image.key().startsWith(prefix)) users.merge(image.key(), 1, Integer::sum);
                }
            }
        }
        return users;
    }

    /** How the catalog names a library VM's golds: {@code lib-NAME-<fingerprint>}. */
    public static final String LIBRARY_KEY_PREFIX = "lib-";

    @Override
    public void close() {
        evictions.shutdownNow();
    }
}
