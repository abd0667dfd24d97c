package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.fail;

import dev.hangar.core.FileTrees;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.GoldImage;
import dev.hangar.testing.ImageServer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive fuzz suite: mutated tar, zip, gzip, bzip2, vmdk, qcow2, vdi and vhd images (see
 * {@link FuzzedImages}) fetched through the gold image store, the path every downloaded image takes
 * (download, Unpacker, UnpackDir, ZipCentralDirectory, the locator with VmxFile, OvfDescriptor and
 * hangar.json, DiskReferences, qemu-img info and convert). Each case ends in a gold image or a
 * HangarException with a code, within a minute; nothing is written outside the image directory, nothing
 * is left in it but gold images, and no gold image holds the bytes of a file outside it. 300 cases by
 * default; the HTTP fuzz suite's flag ({@code -Dfuzz.requests=N} or HANGAR_FUZZ_REQUESTS) makes N/5,
 * {@code -Dfuzz.archives=N} exactly N, and {@code -Dfuzz.seed=S} makes a run's cases again.
 */
class ArchiveFuzzTest {
    static final int MAX_IMAGE_BYTES = 16 << 20;
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(60);
    private static final int CASES = cases();
    private static final long SEED = setting("fuzz.seed", "HANGAR_FUZZ_SEED", System.nanoTime());
    private static final int MAX_REPORTED = 20;

    @TempDir Path tmp;

    private static long setting(String property, String env, long otherwise) {
        String v = System.getProperty(property, System.getenv(env));
        return v == null || v.isBlank() ? otherwise : Long.parseLong(v.strip());
    }

    private static int cases() {
        long requests = setting("fuzz.requests", "HANGAR_FUZZ_REQUESTS", 1500);
        return (int) setting("fuzz.archives", "HANGAR_FUZZ_ARCHIVES", Math.max(1, requests / 5));
    }

    @Test
    void mutatedImagesEndInAGoldImageOrACodedErrorAndNeverReachOutsideTheImage() throws Exception {
        // Images are built in tmp/a/b/images/.tmp-*/unpack: names climbing four levels land in tmp, where we look.
        Path images = tmp.resolve("a/b/images");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        byte[] secretBytes = ("HANGAR-FUZZ-SECRET-" + SEED + "\n").repeat(2048).getBytes(StandardCharsets.UTF_8);
        Path secret = Files.write(outside.resolve("secret"), secretBytes);
        FuzzedImages cases = new FuzzedImages(SEED, Files.createDirectories(tmp.resolve("corpus")), outside, secret);
        GoldImageStore store = new GoldImageStore(images, MAX_IMAGE_BYTES, HttpClient.newHttpClient(), Duration.ofSeconds(5));
        Set<Path> before = treeOutside(images);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        System.out.println("archive fuzz: " + CASES + " cases, seed " + SEED + " (-Dfuzz.seed=" + SEED + " makes them again)");
        long started = System.nanoTime();
        try (ImageServer server = new ImageServer(); ExecutorService worker = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int n = 0; n < CASES; n++) {
                FuzzedImages.Case c = cases.next(n);
                String url = server.serve("/case-" + n, c.body());
                Future<GoldImage> fetch = worker.submit(() -> store.obtain(TestDisks.ref(url, c.body())));
                String problem = null;
                try {
                    GoldImage gold = fetch.get(CASE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    outcomes.merge("gold image", 1, Integer::sum);
                    problem = leaked(gold, secretBytes);
                    FileTrees.delete(gold.dir());
                } catch (TimeoutException e) {
                    fetch.cancel(true);
                    problem = "a hang: no outcome within " + CASE_TIMEOUT.toSeconds() + " s";
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof HangarException h && h.code() != null) {
                        outcomes.merge(h.code(), 1, Integer::sum);
                        if (h.kind() == HangarException.Kind.INTERNAL) problem = "a host failure for a bad image: " + h.code() + ": " + h.getMessage();
                    } else {
                        problem = "not a coded error: " + describe(e.getCause());
                    }
                } finally {
                    server.remove("/case-" + n);
                }
                if (problem == null) problem = escaped(images, before);
                if (problem == null) problem = leftovers(images);
                if (problem != null) failures.add(report(c, problem));
            }
        }
        System.out.printf("archive fuzz: %d cases in %.1f s, seed %d: %s%n", CASES, (System.nanoTime() - started) / 1e9, SEED, outcomes);
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + CASES + " cases failed (seed " + SEED + "); the first ones:\n"
                    + String.join("\n", failures.subList(0, Math.min(MAX_REPORTED, failures.size()))));
        }
    }

    /** Every path under tmp but the image directory, links not followed. */
    private Set<Path> treeOutside(Path images) throws IOException {
        try (Stream<Path> walk = Files.walk(tmp)) {
            return walk.filter(p -> !p.startsWith(images)).collect(Collectors.toSet());
        }
    }

    private String escaped(Path images, Set<Path> before) throws IOException {
        Set<Path> now = treeOutside(images);
        now.removeAll(before);
        return now.isEmpty() ? null : "written outside the image: " + now;
    }

    /** After a case only published gold images may be in the image directory (and this case's was deleted). */
    private static String leftovers(Path images) throws IOException {
        if (!Files.exists(images)) return null;
        try (Stream<Path> left = Files.list(images)) {
            List<Path> all = left.toList();
            return all.isEmpty() ? null : "left in the image directory: " + all;
        }
    }

    /** A gold image holds regular files only, and none of them carries the secret's bytes. */
    private static String leaked(GoldImage gold, byte[] secret) throws IOException {
        byte[] marker = java.util.Arrays.copyOf(secret, 32);
        try (Stream<Path> files = Files.walk(gold.dir())) {
            for (Path f : files.toList()) {
                if (Files.isSymbolicLink(f)) return "the gold image holds a link: " + f;
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) continue;
                if (indexOf(Files.readAllBytes(f), marker) >= 0) return "the gold image holds the bytes of a host file: " + f;
            }
        }
        return null;
    }

    private static int indexOf(byte[] data, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= data.length; i++) {
            for (int j = 0; j < what.length; j++) if (data[i + j] != what[j]) continue outer;
            return i;
        }
        return -1;
    }

    private static String describe(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString().lines().limit(12).collect(Collectors.joining("\n"));
    }

    private static String report(FuzzedImages.Case c, String problem) {
        Path saved = Path.of("target", "fuzz-failures", "archives-seed-" + SEED, "case-" + c.number() + ".bin");
        try {
            Files.createDirectories(saved.getParent());
            Files.write(saved, c.body());
        } catch (IOException e) {
            saved = null;
        }
        return "---- case " + c.number() + " (" + String.join(", ", c.mutations()) + "): " + problem
                + (saved == null ? "" : "\n     bytes in " + saved.toAbsolutePath());
    }
}
