package dev.hangar.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A systemd unit file's settings, read as far as the tests need: section, key, values in order (keys may repeat). */
public record SystemdUnit(Map<String, Map<String, List<String>>> sections) {
    public static SystemdUnit parse(String text) {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) continue;
            if (l.startsWith("[") && l.endsWith("]")) {
                current = sections.computeIfAbsent(l.substring(1, l.length() - 1), k -> new LinkedHashMap<>());
            } else if (current != null && l.contains("=")) {
                int eq = l.indexOf('=');
                current.computeIfAbsent(l.substring(0, eq).strip(), k -> new ArrayList<>()).add(l.substring(eq + 1).strip());
            }
        }
        return new SystemdUnit(sections);
    }

    /** Every value of a key in a section, in order; empty when it is not set. */
    public List<String> all(String section, String key) {
        return sections.getOrDefault(section, Map.of()).getOrDefault(key, List.of());
    }

    /** The one value of a key; an error when it is missing or set more than once. */
    public String get(String section, String key) {
        List<String> values = all(section, key);
        if (values.size() != 1) throw new AssertionError("[" + section + "] " + key + " is set " + values.size() + " times: " + values);
        return values.getFirst();
    }
}
