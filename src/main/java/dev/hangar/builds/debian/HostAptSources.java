package dev.hangar.builds.debian;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Debian archive this host's apt uses, for templates that name none: the first source, in apt's
 * order (sources.list, then sources.list.d/ by name), whose suite is a Debian release or a suite of
 * one (bookworm-updates). Both the one-line form and the deb822 form (.sources) are read.
 */
final class HostAptSources {
    private static final List<String> DEBIAN_SUITES =
            List.of("bullseye", "bookworm", "trixie", "forky", "sid", "stable", "testing", "unstable", "oldstable");

    private HostAptSources() {}

    static Optional<URI> debianArchive(Path etcApt) {
        List<Path> files = new ArrayList<>();
        files.add(etcApt.resolve("sources.list"));
        Path parts = etcApt.resolve("sources.list.d");
        if (Files.isDirectory(parts)) {
            try (Stream<Path> listed = Files.list(parts)) {
                listed.filter(p -> p.toString().endsWith(".list") || p.toString().endsWith(".sources")).sorted().forEach(files::add);
            } catch (IOException e) {
                // unreadable: only sources.list counts
            }
        }
        for (Path file : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                continue;
            }
            Optional<URI> found = file.toString().endsWith(".sources") ? fromDeb822(lines) : fromOneLine(lines);
            if (found.isPresent()) return found;
        }
        return Optional.empty();
    }

    /** "deb [options] URI SUITE COMPONENT..." lines. */
    static Optional<URI> fromOneLine(List<String> lines) {
        for (String line : lines) {
            String text = line.strip();
            if (!text.startsWith("deb ") && !text.startsWith("deb\t")) continue;
            text = text.substring(4).strip();
            if (text.startsWith("[")) {
                int end = text.indexOf(']');
                if (end < 0) continue;
                text = text.substring(end + 1).strip();
            }
            String[] words = text.split("\\s+");
            if (words.length >= 2 && isDebianSuite(words[1])) {
                Optional<URI> uri = http(words[0]);
                if (uri.isPresent()) return uri;
            }
        }
        return Optional.empty();
    }

    /** Stanzas of "Types: deb", "URIs: ...", "Suites: ..." separated by blank lines. */
    static Optional<URI> fromDeb822(List<String> lines) {
        List<String> stanza = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                Optional<URI> found = fromStanza(stanza);
                if (found.isPresent()) return found;
                stanza.clear();
            } else if (!line.startsWith("#")) {
                stanza.add(line);
            }
        }
        return fromStanza(stanza);
    }

    private static Optional<URI> fromStanza(List<String> stanza) {
        String types = field(stanza, "Types");
        String uris = field(stanza, "URIs");
        String suites = field(stanza, "Suites");
        if (types == null || uris == null || suites == null) return Optional.empty();
        if (!List.of(types.split("\\s+")).contains("deb")) return Optional.empty();
        if (Stream.of(suites.split("\\s+")).noneMatch(HostAptSources::isDebianSuite)) return Optional.empty();
        return Stream.of(uris.split("\\s+")).map(HostAptSources::http).flatMap(Optional::stream).findFirst();
    }

    private static String field(List<String> stanza, String name) {
        for (String line : stanza) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase(name)) return line.substring(colon + 1).strip();
        }
        return null;
    }

    /** bookworm, bookworm-updates, stable-backports; not bookworm-security (another archive, no kernels). */
    private static boolean isDebianSuite(String suite) {
        String base = suite.contains("-") ? suite.substring(0, suite.indexOf('-')) : suite;
        return DEBIAN_SUITES.contains(base) && !suite.endsWith("-security");
    }

    private static Optional<URI> http(String text) {
        try {
            URI uri = new URI(text);
            if (uri.getHost() != null && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) return Optional.of(uri);
        } catch (java.net.URISyntaxException e) {
            // not a URL apt fetches over the network (file:, cdrom:, mirror+...)
        }
        return Optional.empty();
    }
}
