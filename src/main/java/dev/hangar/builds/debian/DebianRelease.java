package dev.hangar.builds.debian;

import java.util.Locale;
import java.util.Optional;

/**
 * A Debian release this builder makes images of, named as a TDL {@code <version>} names it: the number
 * ({@code 12}, also a point release such as {@code 12.7}) or the codename ({@code bookworm}).
 * {@code sid} and {@code unstable} are the rolling development release. Older releases (10/buster and
 * before) are no longer on the main archive, so they are not offered.
 */
public record DebianRelease(String number, String codename) {
    private static final DebianRelease[] KNOWN = {
        new DebianRelease("11", "bullseye"),
        new DebianRelease("12", "bookworm"),
        new DebianRelease("13", "trixie"),
        new DebianRelease("sid", "sid"),
    };

    /** The release a TDL version names, or empty when it names none this builder knows. */
    public static Optional<DebianRelease> of(String version) {
        if (version == null) return Optional.empty();
        String v = version.strip().toLowerCase(Locale.ROOT);
        if (v.equals("unstable")) v = "sid";
        // "12.7" is a point release of 12: the archive serves only the newest point release anyway.
        String major = v.matches("\\d+\\.\\d+") ? v.substring(0, v.indexOf('.')) : v;
        for (DebianRelease r : KNOWN) {
            if (r.number.equals(major) || r.codename.equals(v)) return Optional.of(r);
        }
        return Optional.empty();
    }

    /** What the versions accepted are, for a refusal's message. */
    static String accepted() {
        return "11 (bullseye), 12 (bookworm), 13 (trixie) or sid (unstable)";
    }

    /** The suite name in the archive (dists/SUITE). */
    public String suite() {
        return codename;
    }
}
