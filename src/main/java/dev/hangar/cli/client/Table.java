package dev.hangar.cli.client;

import java.util.ArrayList;
import java.util.List;

/** A plain text table: a header row in capitals, columns padded to their widest cell, two spaces apart, no trailing blanks. */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headers) {
        this.headers = List.of(headers);
    }

    Table row(String... cells) {
        if (cells.length != headers.size()) throw new IllegalArgumentException("a row needs " + headers.size() + " cells");
        List<String> row = new ArrayList<>();
        for (String c : cells) row.add(c == null || c.isEmpty() ? "-" : c);
        rows.add(row);
        return this;
    }

    String render() {
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers.stream().map(h -> h.toUpperCase(java.util.Locale.ROOT)).toList());
        all.addAll(rows);
        for (List<String> r : all) for (int i = 0; i < r.size(); i++) widths[i] = Math.max(widths[i], r.get(i).length());
        StringBuilder out = new StringBuilder();
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                line.append(r.get(i));
                if (i < r.size() - 1) line.append(" ".repeat(widths[i] - r.get(i).length() + 2));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
