package dev.hangar.images;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.hangar.core.FileTrees;
import dev.hangar.core.images.WarmTemplates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm settings and templates as files in the gold's directory: {@code warm.json}, and under
 * {@code templates/} one directory per template key (disks, {@code ram}, {@code state}, and
 * {@code template.json} written last), {@code .build-KEY/} while one is built, {@code KEY.failed} when it
 * could not be. Removing the gold removes them all; the cache counts their bytes with the gold's.
 */
public final class WarmTemplateFiles implements WarmTemplates {
    private static final Logger log = LoggerFactory.getLogger(WarmTemplateFiles.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    static final String SETTINGS = "warm.json";
    static final String TEMPLATES = "templates";
    static final String DESCRIPTION = "template.json";
    private static final String BUILD_PREFIX = ".build-";
    private static final String FAILED_SUFFIX = ".failed";
    private static final int FORMAT = 1;
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{16,64}");

    /** template.json: what a clone needs besides the files beside it. */
    record Description(int format, String key, List<String> disks, List<String> macs, String machineType, String shape, String created) {}

    record Failure(String shape, String reason, String at) {}

    private final Path imagesDir;

    public WarmTemplateFiles(Path imagesDir) {
        this.imagesDir = imagesDir;
    }

    private Path gold(String goldKey) {
        Path dir = imagesDir.resolve(goldKey).normalize();
        if (!dir.getParent().equals(imagesDir.normalize()) || goldKey.startsWith(".")) throw new IllegalArgumentException("not a gold key: " + goldKey);
        return dir;
    }

    private Path templates(String goldKey) {
        return gold(goldKey).resolve(TEMPLATES);
    }

    private static String checkedKey(String key) {
        if (!KEY.matcher(key).matches()) throw new IllegalArgumentException("not a template key: " + key);
        return key;
    }

    @Override
    public Settings settings(String goldKey) {
        Path file = gold(goldKey).resolve(SETTINGS);
        if (!Files.isRegularFile(file)) return Settings.OFF;
        try {
            return JSON.readValue(file.toFile(), Settings.class);
        } catch (IOException e) {
            log.warn("cannot read {}: {}", file, e.getMessage());
            return Settings.OFF;
        }
    }

    @Override
    public void saveSettings(String goldKey, Settings settings) {
        Path file = gold(goldKey).resolve(SETTINGS);
        try {
            Path partial = file.resolveSibling(SETTINGS + ".partial");
            JSON.writeValue(partial.toFile(), settings);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public Optional<Template> find(String goldKey, String templateKey) {
        Path dir = templates(goldKey).resolve(checkedKey(templateKey));
        Path description = dir.resolve(DESCRIPTION);
        if (!Files.isRegularFile(description)) return Optional.empty();
        try {
            Description d = JSON.readValue(description.toFile(), Description.class);
            if (d.format() != FORMAT || !templateKey.equals(d.key())) return Optional.empty();
            List<Path> disks = new ArrayList<>();
            for (String name : d.disks()) {
                GoldFile.requirePlainName(name);
                disks.add(dir.resolve(name));
            }
            return Optional.of(new Template(d.key(), dir, disks, dir.resolve("ram"), dir.resolve("state"), d.macs(), d.machineType(),
                    d.shape(), Instant.parse(d.created())));
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read template {}: {}", description, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public List<Summary> list(String goldKey) {
        List<Summary> out = new ArrayList<>();
        Path dir = templates(goldKey);
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
                String name = p.getFileName().toString();
                if (KEY.matcher(name).matches()) {
                    find(goldKey, name).ifPresent(t -> out.add(new Summary(t.key(), t.shape(), "ready", null, t.created())));
                } else if (name.endsWith(FAILED_SUFFIX) && KEY.matcher(name.substring(0, name.length() - FAILED_SUFFIX.length())).matches()) {
                    Failure f = JSON.readValue(p.toFile(), Failure.class);
                    out.add(new Summary(name.substring(0, name.length() - FAILED_SUFFIX.length()), f.shape(), "failed", f.reason(), Instant.parse(f.at())));
                } else if (name.startsWith(BUILD_PREFIX) && KEY.matcher(name.substring(BUILD_PREFIX.length())).matches()) {
                    out.add(new Summary(name.substring(BUILD_PREFIX.length()), null, "building", null, null));
                }
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.getMessage());
        }
        return out;
    }

    /** Walked, never listed, by the template machine's QEMU (its own uid), which reopens its disks here. */
    private static final java.nio.file.attribute.FileAttribute<?> WALKED =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x"));

    @Override
    public Path startBuild(String goldKey, String templateKey) throws IOException {
        Path templates = templates(goldKey);
        if (!Files.isDirectory(templates)) Files.createDirectory(templates, WALKED);
        Path build = templates.resolve(BUILD_PREFIX + checkedKey(templateKey));
        if (Files.exists(build)) FileTrees.delete(build);
        Files.createDirectory(build, WALKED);
        return build;
    }

    /**
     * A template's files never change once in place: the service's own, read-only, but the RAM file,
     * which a service that is not root maps (privately) through a read-write descriptor.
     */
    private static void freeze(Path buildDir) throws IOException {
        boolean root = dev.hangar.process.Privileges.root();
        try (Stream<Path> files = Files.list(buildDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                if (root) Files.setAttribute(f, "unix:uid", 0, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(f.getFileName().toString().equals("ram") ? "rw-------" : "r--r--r--"));
            }
        }
    }

    @Override
    public Template finish(String goldKey, Path buildDir, Template built) throws IOException {
        Path target = templates(goldKey).resolve(checkedKey(built.key()));
        List<String> disks = built.disks().stream().map(p -> p.getFileName().toString()).toList();
        Description d = new Description(FORMAT, built.key(), disks, built.macs(), built.machineType(), built.shape(), built.created().toString());
        freeze(buildDir);
        Path partial = buildDir.resolve(DESCRIPTION + ".partial");
        JSON.writeValue(partial.toFile(), d);
        Files.move(partial, buildDir.resolve(DESCRIPTION), StandardCopyOption.ATOMIC_MOVE);
        if (Files.exists(target)) FileTrees.delete(target); // a description that no longer reads: replaced
        Files.move(buildDir, target, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(templates(goldKey).resolve(built.key() + FAILED_SUFFIX));
        return find(goldKey, built.key()).orElseThrow(() -> new IOException("template " + built.key() + " cannot be read back"));
    }

    @Override
    public void failed(String goldKey, String templateKey, String shape, String reason) {
        try {
            Path dir = templates(goldKey);
            Files.createDirectories(dir);
            Path build = dir.resolve(BUILD_PREFIX + checkedKey(templateKey));
            if (Files.exists(build)) FileTrees.delete(build);
            Files.writeString(dir.resolve(templateKey + FAILED_SUFFIX),
                    JSON.writeValueAsString(new Failure(shape, reason, Instant.now().toString())), StandardCharsets.UTF_8);
        } catch (IOException e) {
            log.warn("cannot record the failed template {} of {}: {}", templateKey, goldKey, e.getMessage());
        }
    }

    @Override
    public List<Path> leftoverBuilds() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(imagesDir)) return out;
        try (Stream<Path> golds = Files.list(imagesDir)) {
            for (Path gold : (Iterable<Path>) golds::iterator) {
                Path dir = gold.resolve(TEMPLATES);
                if (!Files.isDirectory(dir)) continue;
                try (Stream<Path> entries = Files.list(dir)) {
                    entries.filter(p -> p.getFileName().toString().startsWith(BUILD_PREFIX)).forEach(out::add);
                }
            }
        } catch (IOException e) {
            log.warn("cannot look for leftover template builds: {}", e.getMessage());
        }
        return out;
    }

    @Override
    public void removeBuild(Path buildDir) {
        if (!buildDir.getFileName().toString().startsWith(BUILD_PREFIX) || !buildDir.startsWith(imagesDir)) return;
        FileTrees.delete(buildDir);
    }
}
