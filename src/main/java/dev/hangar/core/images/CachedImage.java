package dev.hangar.core.images;

import java.time.Instant;

/** A gold image in the cache: its key (e.g. {@code sha256-…}), its size on disk, and when a VM last used it. */
public record CachedImage(String key, long bytes, Instant lastUsed) {}
