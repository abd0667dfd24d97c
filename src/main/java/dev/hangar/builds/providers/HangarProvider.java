package dev.hangar.builds.providers;

import dev.hangar.builds.BuildErrors;
import dev.hangar.builds.FileCopy;
import dev.hangar.builds.ProgressSpan;
import dev.hangar.core.FileTrees;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ProviderPublisher;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code hangar} provider: publishes a target image into Hangar's own directory of published images,
 * {@code DIR/ID/FILE}, which the service serves under {@code BASE_URL/ID/FILE}; the result carries
 * {@code url}, {@code checksum} and {@code checksum_type} (sha256), ready for a /vms body. No credentials.
 *
 * <p>The file is hard-linked where it can be (same file system: instant, no space; target images never
 * change after they are written), else copied; either way it gets its final name only once whole.
 */
public final class HangarProvider implements ProviderPublisher {
    public static final String TYPE = "hangar";
    private static final Logger log = LoggerFactory.getLogger(HangarProvider.class);
    private static final String PARTIAL = ".partial";

    private final Path publishedDir;
    private final String baseUrl;

    /**
     * @param publishedDir where published images are kept (made if missing)
     * @param baseUrl the URL the service serves that directory under, e.g. http://127.0.0.1:12345/imagefactory/published
     */
    public HangarProvider(Path publishedDir, URI baseUrl) {
        String scheme = baseUrl.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) throw new IllegalArgumentException("base URL must be http or https: " + baseUrl);
        this.baseUrl = baseUrl.toString().replaceAll("/+$", "");
        try {
            this.publishedDir = Files.createDirectories(publishedDir).toRealPath();
        } catch (IOException e) {
            throw new IllegalStateException("cannot make the published images directory " + publishedDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Set<String> providers() {
        return Set.of(TYPE);
    }

    @Override
    public void check(Provider provider) {
        BuildErrors.requireType(TYPE, provider);
    }

    @Override
    public Published publish(Path file, String target, String id, Provider provider, BuildProgress progress) {
        check(provider);
        String name = file.getFileName().toString();
        if (!SafeNames.ok(id)) throw BuildErrors.pushFailed("provider image id " + id + " cannot name a published image", null);
        if (!SafeNames.ok(name)) throw BuildErrors.pushFailed("target file name " + name + " cannot be published as it is", null);
        Path dir = publishedDir.resolve(id);
        Path published = dir.resolve(name);
        Path partial = dir.resolve("." + name + PARTIAL);
        ProgressSpan span = new ProgressSpan(progress, 0, 100);
        try {
            Files.createDirectories(dir);
            if (Files.exists(published, LinkOption.NOFOLLOW_LINKS)) {
                throw BuildErrors.pushFailed(id + "/" + name + " is already published", null);
            }
            Files.deleteIfExists(partial);
            String sha256 = linkOrCopy(file, partial, span);
            if (progress.cancelled()) throw BuildErrors.cancelled("publishing " + name);
            Files.move(partial, published, StandardCopyOption.ATOMIC_MOVE);
            String url = baseUrl + "/" + id + "/" + name;
            log.info("published {} as {}", file, RedactedUrl.of(url));
            return new Published(url, Map.of("url", url, "checksum", sha256, "checksum_type", "sha256"));
        } catch (IOException e) {
            deleteQuietly(partial);
            throw BuildErrors.pushFailed("cannot publish " + name + " into " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            deleteQuietly(partial);
            throw e;
        }
    }

    /** Hard-links file as partial and hashes it, or copies and hashes in one pass; returns the hex SHA-256. */
    private static String linkOrCopy(Path file, Path partial, ProgressSpan span) throws IOException {
        try {
            Files.createLink(partial, file);
            return FileCopy.sha256(partial, span, "hashing " + file.getFileName());
        } catch (FileSystemException | UnsupportedOperationException notLinkable) {
            // another file system, or one without hard links: copy
            Files.deleteIfExists(partial);
        }
        try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW)) {
            return FileCopy.copy(file, out, span, "copying " + file.getFileName());
        }
    }

    /**
     * The published file for an id and a file name, for the route that serves it; empty unless both are
     * plain names and a whole published file (not a link, not a partial one) is there.
     */
    public Optional<Path> find(String id, String name) {
        if (!SafeNames.ok(id) || !SafeNames.ok(name)) return Optional.empty();
        Path file = publishedDir.resolve(id).resolve(name).normalize();
        if (!file.startsWith(publishedDir) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        return Optional.of(file);
    }

    /** Deletes the published file (and its directory once empty); one already gone is fine. */
    @Override
    public void unpublish(Published published, Provider provider) {
        String url = published.properties().getOrDefault("url", published.identifier());
        String prefix = baseUrl + "/";
        if (url == null || !url.startsWith(prefix)) throw BuildErrors.pushFailed(url + " was not published here (" + baseUrl + ")", null);
        String[] parts = url.substring(prefix.length()).split("/", -1);
        if (parts.length != 2 || !SafeNames.ok(parts[0]) || !SafeNames.ok(parts[1])) {
            throw BuildErrors.pushFailed(url + " names no published image", null);
        }
        Path dir = publishedDir.resolve(parts[0]);
        try {
            Files.deleteIfExists(dir.resolve(parts[1]));
            try (DirectoryStream<Path> left = Files.newDirectoryStream(dir)) {
                if (!left.iterator().hasNext()) Files.delete(dir);
            }
        } catch (java.nio.file.NoSuchFileException gone) {
            // already removed
        } catch (IOException e) {
            throw BuildErrors.pushFailed("cannot remove " + url + ": " + e, e);
        }
    }

    /** The directory of the id, whatever it holds: a push that never finished published nothing. */
    @Override
    public void abandon(String id, Provider provider) {
        if (!SafeNames.ok(id)) return;
        Path dir = publishedDir.resolve(id);
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        log.info("removing {}, left by a publish that did not finish", dir);
        FileTrees.delete(dir);
    }

    /** Called at service start: removes partial files a crash left in the middle of a publish. */
    public void removeLeftovers() {
        try (DirectoryStream<Path> ids = Files.newDirectoryStream(publishedDir)) {
            for (Path dir : ids) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) continue;
                try (DirectoryStream<Path> partials = Files.newDirectoryStream(dir, "." + "*" + PARTIAL)) {
                    for (Path p : partials) deleteQuietly(p);
                }
            }
        } catch (IOException e) {
            log.warn("cannot clean {}: {}", publishedDir, e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", p, e.getMessage());
        }
    }
}
