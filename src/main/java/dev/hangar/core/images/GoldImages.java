package dev.hangar.core.images;

import dev.hangar.core.Cancellation;
import java.util.List;
import java.util.Optional;

/** The cache of verified gold images: fetched, verified, converted once, then cloned from (see {@link VmDisks}). */
public interface GoldImages {
    /** Blocking: the cached gold, or downloads, verifies, unpacks and publishes it. Throws HangarException. */
    GoldImage obtain(ImageRef ref);

    /**
     * As {@link #obtain(ImageRef)}, telling {@code progress} how the download goes while this call waits
     * for it (a cached gold reports nothing). When {@code cancellation} calls it off, this call ends at
     * once ({@code cancelled}); a download that no other call waits for then stops, its connection
     * closed and what it wrote removed.
     */
    default GoldImage obtain(ImageRef ref, FetchProgress progress, Cancellation cancellation) {
        return obtain(ref);
    }

    /** How a fetch goes: bytes downloaded of the total (-1 when the server did not say), then the conversion. */
    interface FetchProgress {
        FetchProgress NONE = (bytes, total) -> { };

        /** Called on the fetching thread after each read; cheap callers only. */
        void downloaded(long bytes, long total);

        default void converting() { }
    }

    /**
     * Blocking: the gold image made from the library's VM folder {@code NAME.vmwarevm}, imported the first
     * time it is used and again whenever the folder changes. 404 library-vm-not-found when there is none.
     */
    GoldImage obtainFromLibrary(String name);

    /** The gold if it is cached; never touches the network. */
    Optional<GoldImage> cached(ImageRef ref);

    /** Every gold image in the cache, with its size on disk and when it was last used. */
    List<CachedImage> cachedImages();

    /** The cached gold with this key (as {@link CachedImage#key()} names it), if there is one. */
    Optional<GoldImage> byKey(String key);

    /**
     * Removes a gold image, whole or not at all (it is moved aside first); the bytes freed, 0 when it was
     * not there. The caller makes sure no VM uses it: VMs are linked clones of its files.
     */
    long remove(String key);

    /** Removes what a crash left half-made. */
    void removeLeftovers();
}
