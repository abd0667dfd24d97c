package dev.hangar.core;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory sizes as the OS X Builder API writes them: IEC strings ("1gib", "1024mib", "1048576kib",
 * "1.5gib", any case) or a plain number of MiB. Hangar works in whole MiB, which is what QEMU takes.
 */
public final class MemorySize {
    public static final long MIN_MIB = 32;
    public static final long MAX_MIB = 1024L * 1024; // 1 TiB

    private static final Pattern IEC = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(kib|mib|gib|tib)?");

    private MemorySize() {}

    /** Parses an IEC string (a bare number means MiB) into whole MiB. */
    public static long parseMib(String text) {
        if (text == null || text.isBlank()) throw invalid("memory is empty");
        Matcher m = IEC.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw invalid("memory must be an IEC size like 1gib, 1024mib or 1048576kib, not \"" + text + "\"");
        BigDecimal kib = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(kibPerUnit(m.group(2))));
        BigDecimal[] mibAndRest = kib.divideAndRemainder(BigDecimal.valueOf(1024));
        if (mibAndRest[1].signum() != 0) throw invalid("memory must be a whole number of MiB, not \"" + text + "\"");
        // Compared before narrowing: a size beyond a long (99999999999999999999gib) is out of range, not a crash.
        if (mibAndRest[0].compareTo(BigDecimal.valueOf(MAX_MIB)) > 0) {
            throw invalid("memory must be at most " + MAX_MIB + " MiB, not \"" + text + "\"");
        }
        return checkedRange(mibAndRest[0].longValueExact());
    }

    /** Checks a plain MiB count (document 001's integer form). */
    public static long checkedRange(long mib) {
        if (mib < MIN_MIB || mib > MAX_MIB) {
            throw invalid("memory must be between " + MIN_MIB + " MiB and " + MAX_MIB + " MiB, not " + mib + " MiB");
        }
        return mib;
    }

    /** The normalised IEC form Hangar answers with: always MiB, e.g. 1gib → "1024mib". */
    public static String format(long mib) {
        return mib + "mib";
    }

    private static long kibPerUnit(String unit) {
        if (unit == null) return 1024; // a bare number is MiB
        return switch (unit) {
            case "kib" -> 1;
            case "mib" -> 1024;
            case "gib" -> 1024 * 1024;
            default -> 1024L * 1024 * 1024; // tib
        };
    }

    private static HangarException invalid(String message) {
        return HangarException.invalid("invalid-memory", message);
    }
}
