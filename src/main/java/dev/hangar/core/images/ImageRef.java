package dev.hangar.core.images;

import dev.hangar.core.HangarException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Where a gold image comes from and how to know it is the right one. The checksum type and value
 * together identify the gold image: two URLs with the same checksum share one cached gold.
 */
public record ImageRef(String url, String checksum, ChecksumType checksumType) {
    public ImageRef {
        checksum = checksum == null ? null : checksum.trim().toLowerCase(Locale.ROOT);
    }

    /** Checks the invariants a request must meet before anything is fetched. */
    public ImageRef validated() {
        if (url == null || url.isBlank()) throw HangarException.invalid("missing-image-url", "image.url is required");
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')).toLowerCase(Locale.ROOT) : "";
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw HangarException.invalid("invalid-image-url", "image.url must be an http or https URL: " + url);
        }
        if (checksumType == null) throw HangarException.invalid("invalid-checksum-type", "image.checksum_type is required");
        if (checksum == null || checksum.length() != checksumType.hexLength() || !isHex(checksum)) {
            throw HangarException.invalid("invalid-checksum", "image.checksum must be " + checksumType.hexLength()
                    + " hex digits for " + checksumType.wireName());
        }
        return this;
    }

    /** The gold image's cache key, safe as a directory name: e.g. {@code sha256-9f86d0...}. */
    public String cacheKey() { return checksumType.wireName() + "-" + checksum; }

    private static boolean isHex(String s) {
        return s.chars().allMatch(HexFormat::isHexDigit);
    }
}
