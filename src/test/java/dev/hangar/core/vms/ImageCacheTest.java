package dev.hangar.core.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hangar.core.images.CachedImage;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which gold images may go: never one a VM boots from; the least recently used first. */
class ImageCacheTest {
    private final VmServiceTest.Images images = new VmServiceTest.Images();
    private final VmServiceTest.Store vms = new VmServiceTest.Store();

    private static ImageRef image(String hexDigit) {
        return new ImageRef("http://images.test/" + hexDigit + ".tar.gz", hexDigit.repeat(64), ChecksumType.SHA256);
    }

    private void cached(ImageRef ref, long bytes, long lastUsedEpochSecond) {
        images.cache.put(ref.cacheKey(), new CachedImage(ref.cacheKey(), bytes, Instant.ofEpochSecond(lastUsedEpochSecond)));
    }

    private void vmBootingFrom(BootSource boot, VmStatus status) {
        vms.insert(Vm.builder().id(UUID.randomUUID()).boot(boot).status(status).createdAt(Instant.EPOCH).build());
    }

    @Test
    void pruneRemovesEveryGoldNoVmUsesWhateverItsStatus() {
        cached(image("a"), 100, 1);
        cached(image("b"), 100, 2);
        cached(image("c"), 100, 3);
        images.cache.put("lib-web-0011", new CachedImage("lib-web-0011", 50, Instant.ofEpochSecond(4)));
        images.cache.put("lib-db-0022", new CachedImage("lib-db-0022", 50, Instant.ofEpochSecond(5)));
        vmBootingFrom(new BootSource.Image(image("a")), VmStatus.POWERED_ON);
        vmBootingFrom(new BootSource.Image(image("b")), VmStatus.DELETING); // its clone still points at the gold
        vmBootingFrom(new BootSource.Library("web"), VmStatus.ERROR);
        ImageCache cache = new ImageCache(images, vms, OptionalLong.empty(), new java.util.concurrent.locks.ReentrantLock());

        assertEquals(List.of(image("c").cacheKey(), "lib-db-0022"), cache.prune().stream().map(CachedImage::key).toList());
        assertEquals(List.of(image("a").cacheKey(), image("b").cacheKey(), "lib-web-0011"),
                cache.list().stream().map(e -> e.image().key()).toList(), "oldest use first");
        assertEquals(List.of(1, 1, 1), cache.list().stream().map(ImageCache.Entry::vms).toList());
    }

    @Test
    void overItsLimitTheCacheEvictsTheLeastRecentlyUsedUnusedGoldsUntilItFits() {
        cached(image("a"), 400, 1); // oldest, but in use
        cached(image("b"), 300, 2);
        cached(image("c"), 200, 3);
        cached(image("d"), 100, 4); // newest
        vmBootingFrom(new BootSource.Image(image("a")), VmStatus.POWERED_ON);
        ImageCache cache = new ImageCache(images, vms, OptionalLong.of(600), new java.util.concurrent.locks.ReentrantLock());

        // 1000 bytes: a is skipped (in use), b goes (700), c goes (500), and d stays: the cache fits.
        assertEquals(List.of(image("b").cacheKey(), image("c").cacheKey()), cache.fit().stream().map(CachedImage::key).toList());
        assertEquals(List.of(image("a").cacheKey(), image("d").cacheKey()), images.cachedImages().stream().map(CachedImage::key).sorted().toList());
    }

    @Test
    void aGoldInUseStaysEvenWhenTheCacheCannotFitWithoutIt() {
        cached(image("a"), 1000, 1);
        vmBootingFrom(new BootSource.Image(image("a")), VmStatus.CREATING);
        ImageCache cache = new ImageCache(images, vms, OptionalLong.of(10), new java.util.concurrent.locks.ReentrantLock());
        assertEquals(List.of(), cache.fit());
        assertEquals(1, images.cachedImages().size());
        assertEquals(List.of(), new ImageCache(images, vms, OptionalLong.empty(), new java.util.concurrent.locks.ReentrantLock()).fit(), "no limit, no eviction");
    }

    @Test
    void goldsAreChosenAndRemovedOnlyWhileNoCreateIsBeingAccepted() throws Exception {
        cached(image("a"), 100, 1);
        java.util.concurrent.locks.ReentrantLock admissions = new java.util.concurrent.locks.ReentrantLock();
        ImageCache cache = new ImageCache(images, vms, OptionalLong.empty(), admissions);
        admissions.lock(); // a create is counting and inserting its record
        var pruning = java.util.concurrent.CompletableFuture.supplyAsync(cache::prune);
        Thread.sleep(200);
        assertEquals(1, images.cachedImages().size(), "prune waits for the create");
        vmBootingFrom(new BootSource.Image(image("a")), VmStatus.CREATING); // the create took the gold
        admissions.unlock();
        assertEquals(List.of(), pruning.get(10, java.util.concurrent.TimeUnit.SECONDS), "and then sees it in use");
    }
}
