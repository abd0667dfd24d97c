package dev.hangar.images;

import dev.hangar.core.HangarException;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.Installer;
import dev.hangar.core.images.InstallerSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network installers from install trees, as virt-install's {@code --location} finds them: a tree with
 * a {@code .treeinfo} (RPM distributions: {@code images/pxeboot/vmlinuz} and {@code initrd.img}, or
 * what the file names), else the Debian and Ubuntu layout
 * ({@code LOCATION/current/images/netboot/<distro>-installer/amd64/linux} and {@code initrd.gz}, where
 * LOCATION ends at {@code .../main/installer-amd64}).
 *
 * <p>Each file is cached under its URL with the server's validator (ETag, Last-Modified): a later fetch
 * asks the server with If-None-Match / If-Modified-Since and downloads only what changed. A file is
 * written beside its place and renamed in, so a half-downloaded installer is never used; when the server
 * cannot be reached, the cached copy serves.
 */
public final class InstallerStore implements InstallerSource {
    private static final Logger log = LoggerFactory.getLogger(InstallerStore.class);
    private static final List<String> DEBIAN_DISTROS = List.of("debian", "ubuntu");
    private static final String FILE = "file";
    private static final String VALIDATOR = "validator.properties";
    /** A file being written beside its place, renamed in when whole. */
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path dir;
    private final HttpClient http;
    private final long maxBytes;
    private final Duration stallTimeout;
    /** One fetch per URL at a time: concurrent installs from one tree download it once. */
    private final ConcurrentHashMap<String, Object> urlLocks = new ConcurrentHashMap<>();

    public InstallerStore(Path dir, HttpClient http, long maxBytes, Duration stallTimeout) {
        this.dir = dir;
        this.http = http;
        this.maxBytes = maxBytes;
        this.stallTimeout = stallTimeout;
    }

    @Override
    public Installer fetch(String location) {
        String base = location.endsWith("/") ? location.substring(0, location.length() - 1) : location;
        List<String[]> candidates = new ArrayList<>();
        HangarException unreachable = null;
        try {
            treeinfo(base).ifPresent(candidates::add);
        } catch (HangarException e) {
            unreachable = e; // the layouts below may still be cached
        }
        for (String distro : DEBIAN_DISTROS) {
            String netboot = base + "/current/images/netboot/" + distro + "-installer/amd64/";
            candidates.add(new String[] {netboot + "linux", netboot + "initrd.gz"});
        }
        candidates.add(new String[] {base + "/images/pxeboot/vmlinuz", base + "/images/pxeboot/initrd.img"});
        List<String> tried = new ArrayList<>();
        for (String[] c : candidates) {
            tried.add(c[0]);
            Optional<Path> kernel;
            try {
                kernel = cached(c[0]);
            } catch (HangarException e) {
                if (unreachable == null) unreachable = e;
                continue;
            }
            if (kernel.isEmpty()) continue;
            Path initrd = cached(c[1]).orElseThrow(() -> failed("the install tree has a kernel at " + c[0] + " but no initrd at " + c[1]));
            return new Installer(kernel.get(), initrd);
        }
        if (unreachable != null) throw unreachable;
        throw failed("no installer kernel found in the install tree " + location + "; tried " + String.join(", ", tried));
    }

    /** The kernel and initrd a {@code .treeinfo} names for x86_64, if the tree has one. */
    private Optional<String[]> treeinfo(String base) {
        String url = base + "/.treeinfo";
        Optional<Path> file = cached(url);
        if (file.isEmpty()) return Optional.empty();
        Map<String, Map<String, String>> ini = new LinkedHashMap<>();
        try {
            Map<String, String> section = null;
            for (String line : Files.readAllLines(file.get(), StandardCharsets.UTF_8)) {
                String t = line.strip();
                if (t.startsWith("[") && t.endsWith("]")) {
                    section = ini.computeIfAbsent(t.substring(1, t.length() - 1), k -> new LinkedHashMap<>());
                } else if (section != null && t.contains("=") && !t.startsWith("#") && !t.startsWith(";")) {
                    section.put(t.substring(0, t.indexOf('=')).strip(), t.substring(t.indexOf('=') + 1).strip());
                }
            }
        } catch (IOException e) {
            throw failed(url + " cannot be read: " + e.getMessage());
        }
        Map<String, String> images = ini.getOrDefault("images-x86_64", Map.of());
        String kernel = images.getOrDefault("kernel", "images/pxeboot/vmlinuz");
        String initrd = images.getOrDefault("initrd", "images/pxeboot/initrd.img");
        if (kernel.contains("..") || initrd.contains("..") || kernel.startsWith("/") || initrd.startsWith("/")) {
            throw failed(url + " names files outside the tree: " + kernel + ", " + initrd);
        }
        return Optional.of(new String[] {base + "/" + kernel, base + "/" + initrd});
    }

    /** The file at url, fetched or revalidated; empty when the server says 404 (and nothing is cached). */
    private Optional<Path> cached(String url) {
        synchronized (urlLocks.computeIfAbsent(url, k -> new Object())) {
            Path entry = dir.resolve(sha256(url));
            Path file = entry.resolve(FILE);
            Properties validator = readValidator(entry);
            Map<String, String> conditional = new LinkedHashMap<>();
            if (Files.exists(file)) {
                if (validator.getProperty("etag") != null) conditional.put("If-None-Match", validator.getProperty("etag"));
                if (validator.getProperty("last-modified") != null) conditional.put("If-Modified-Since", validator.getProperty("last-modified"));
            }
            HttpResponse<InputStream> response;
            try {
                response = Download.get(http, url, conditional);
            } catch (HangarException e) {
                if (e.code().equals(UrlPolicy.IMAGE_URL_FORBIDDEN)) throw e; // refused now: no fallback to what was fetched before
                if (Files.exists(file)) {
                    log.warn("cannot revalidate {} ({}); using the cached copy", RedactedUrl.of(url), RedactedUrl.inText(e.getMessage()));
                    return Optional.of(file);
                }
                throw failed(e.getMessage());
            }
            int status = response.statusCode();
            if (status == 304 && Files.exists(file)) {
                Download.close(response.body());
                return Optional.of(file);
            }
            if (status == 404 || status == 410) {
                Download.close(response.body());
                return Optional.empty();
            }
            if (status < 200 || status > 299) {
                Download.close(response.body());
                throw failed("GET " + url + " answered HTTP " + status);
            }
            store(url, response, entry);
            return Optional.of(file);
        }
    }

    private void store(String url, HttpResponse<InputStream> response, Path entry) {
        long started = System.nanoTime();
        Path tmp = entry.resolve(FILE + TEMP_SUFFIX);
        try {
            Files.createDirectories(entry);
            try (DownloadStream body = Download.body(response, ChecksumType.SHA256, maxBytes, stallTimeout);
                 OutputStream out = Files.newOutputStream(tmp)) {
                body.transferTo(out);
            }
            Files.move(tmp, entry.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Properties validator = new Properties();
            response.headers().firstValue("etag").ifPresent(v -> validator.setProperty("etag", v));
            response.headers().firstValue("last-modified").ifPresent(v -> validator.setProperty("last-modified", v));
            validator.setProperty("url", url);
            Path vtmp = entry.resolve(VALIDATOR + TEMP_SUFFIX);
            try (Writer w = Files.newBufferedWriter(vtmp)) {
                validator.store(w, "validator of the cached file");
            }
            Files.move(vtmp, entry.resolve(VALIDATOR), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            log.info("fetched {} ({} bytes in {} ms)", RedactedUrl.of(url), Files.size(entry.resolve(FILE)), (System.nanoTime() - started) / 1_000_000);
        } catch (HangarException e) {
            throw failed(e.getMessage());
        } catch (IOException e) {
            String message = "cannot store " + url + " on this host: " + e.getMessage();
            if (ImageFailures.noSpace(e)) throw ImageFailures.diskFull(message + " (" + dir + ")", e);
            throw new HangarException(HangarException.Kind.INTERNAL, "installer-store-failed", message, e);
        } finally {
            deleteQuietly(tmp); // moved into place, or half a download nothing will use
        }
    }

    /**
     * Called at service start: deletes what a crash left half written (a download or validator not yet
     * renamed into place). The cached files themselves were renamed in whole, so they stay.
     */
    @Override
    public void removeLeftovers() {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(p -> p.getFileName().toString().endsWith(TEMP_SUFFIX)).toList()) {
                log.info("removing leftover partial download {}", p);
                deleteQuietly(p);
            }
        } catch (IOException e) {
            log.warn("cannot look for leftovers in {}: {}", dir, e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", p, e.getMessage());
        }
    }

    private static Properties readValidator(Path entry) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(entry.resolve(VALIDATOR))) {
            p.load(r);
        } catch (IOException e) {
            // nothing cached yet
        }
        return p;
    }

    private static HangarException failed(String message) {
        return new HangarException(HangarException.Kind.INVALID, "installer-download-failed", message);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
