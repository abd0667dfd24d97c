package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** How the CLI writes durations, ages, sizes and images: short, the way people read them. */
final class Formats {
    private Formats() {}

    /** 42s, 3m05s, 2h10m, 4d3h. */
    static String duration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) return s + "s";
        if (s < 3600) return String.format("%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        return String.format("%dd%dh", s / 86400, s % 86400 / 3600);
    }

    /** Age of an ISO-8601 instant at {@code now}: 5s, 3m, 2h, 4d; "-" when unknown. */
    static String age(String instant, Instant now) {
        if (instant == null || instant.isEmpty()) return "-";
        try {
            long s = Math.max(0, Duration.between(Instant.parse(instant), now).toSeconds());
            if (s < 60) return s + "s";
            if (s < 3600) return s / 60 + "m";
            if (s < 86400) return s / 3600 + "h";
            return s / 86400 + "d";
        } catch (DateTimeParseException e) {
            return "-";
        }
    }

    /** 512 B, 1.5 KiB, 40.0 MiB, 2.1 GiB. */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    /** A VM's image, short: the URL's file name, library:NAME, or "-". */
    static String image(JsonNode image) {
        if (image == null || !image.isObject()) return "-";
        if (image.hasNonNull("library")) return "library:" + image.get("library").asText();
        String url = image.path("url").asText("");
        int q = url.indexOf('?');
        if (q >= 0) url = url.substring(0, q);
        int slash = url.lastIndexOf('/');
        String name = slash >= 0 ? url.substring(slash + 1) : url;
        return name.isEmpty() ? url : name;
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }
}
