package dev.hangar.builds.providers;

import java.util.regex.Pattern;

/** Names that become one path element: letters, digits, '.', '_', '-', no leading dot (so never ".", ".." or a hidden partial file). */
final class SafeNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");

    private SafeNames() {}

    static boolean ok(String name) {
        return name != null && NAME.matcher(name).matches();
    }
}
