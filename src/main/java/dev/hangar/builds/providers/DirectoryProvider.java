package dev.hangar.builds.providers;

import dev.hangar.builds.BuildErrors;
import dev.hangar.builds.FileCopy;
import dev.hangar.builds.ProgressSpan;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ProviderPublisher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code directory} provider: copies the target image to the path in the setting {@code path}, as
 * {@code cp} would: into it under the image's own file name when it is an existing directory, else to
 * that file name (whose directory must exist). The path must be absolute with no {@code ..}, and an
 * existing file is never overwritten. The copy is made under a hidden name beside its destination and
 * linked into place, which fails rather than replaces if the name was taken meanwhile.
 */
public final class DirectoryProvider implements ProviderPublisher {
    public static final String TYPE = "directory";
    private static final Logger log = LoggerFactory.getLogger(DirectoryProvider.class);

    private final Path allowedRoot;

    /** Copies anywhere the service may write. */
    public DirectoryProvider() {
        this(null);
    }

    /** @param allowedRoot when not null, destinations must lie under it (the service runs as root: a deployment may fence it in) */
    public DirectoryProvider(Path allowedRoot) {
        this.allowedRoot = allowedRoot == null ? null : allowedRoot.toAbsolutePath().normalize();
    }

    @Override
    public Set<String> providers() {
        return Set.of(TYPE);
    }

    @Override
    public void check(Provider provider) {
        BuildErrors.requireType(TYPE, provider);
        String path = provider.settings().get("path");
        if (path == null || path.isBlank()) throw BuildErrors.invalidProvider("path", "is required: the directory or file to copy the image to");
        if (path.indexOf('\0') >= 0) throw BuildErrors.invalidProvider("path", "holds a NUL character");
        if (!path.startsWith("/")) throw BuildErrors.invalidProvider("path", path + " is not absolute");
        for (String part : path.split("/")) {
            if (part.equals("..")) throw BuildErrors.invalidProvider("path", path + " contains ..");
        }
        Path p = Path.of(path).normalize();
        if (allowedRoot != null && !p.startsWith(allowedRoot)) {
            throw BuildErrors.invalidProvider("path", path + " is outside " + allowedRoot + ", where this service copies images");
        }
        if (!Files.isDirectory(p) && (p.getParent() == null || !Files.isDirectory(p.getParent()))) {
            throw BuildErrors.invalidProvider("path", "neither " + path + " nor its parent is an existing directory");
        }
    }

    @Override
    public Published publish(Path file, String target, String id, Provider provider, BuildProgress progress) {
        check(provider);
        Path path = Path.of(provider.settings().get("path")).normalize();
        Path destination = Files.isDirectory(path) ? path.resolve(file.getFileName().toString()) : path;
        if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
            throw BuildErrors.pushFailed(destination + " already exists; the directory provider does not overwrite", null);
        }
        Path partial = destination.resolveSibling("." + destination.getFileName() + "." + UUID.randomUUID() + ".partial");
        try {
            String sha256;
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW)) {
                sha256 = FileCopy.copy(file, out, new ProgressSpan(progress, 0, 100), "copying " + file.getFileName());
            }
            if (progress.cancelled()) throw BuildErrors.cancelled("copying " + file.getFileName());
            placeWithoutReplacing(partial, destination);
            log.info("copied {} to {}", file, destination);
            return new Published(destination.toString(), Map.of("path", destination.toString(), "checksum", sha256, "checksum_type", "sha256"));
        } catch (FileAlreadyExistsException e) {
            throw BuildErrors.pushFailed(destination + " appeared while the image was copied; it is not overwritten", e);
        } catch (IOException e) {
            throw BuildErrors.pushFailed("cannot copy " + file.getFileName() + " to " + destination + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", partial, e.getMessage());
            }
        }
    }

    /**
     * A hard link fails if the name exists, where a rename would silently replace it; a file system
     * without hard links gets a rename after a check (a small race, on file systems that leave no choice).
     */
    private static void placeWithoutReplacing(Path partial, Path destination) throws IOException {
        try {
            Files.createLink(destination, partial);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (FileSystemException | UnsupportedOperationException noLinks) {
            Files.move(partial, destination); // no REPLACE_EXISTING: throws if the name is taken
        }
    }

    /** Deletes the copy publish made; one already gone is fine. */
    @Override
    public void unpublish(Published published, Provider provider) {
        String path = published.properties().getOrDefault("path", published.identifier());
        if (path == null || !path.startsWith("/") || path.contains("/../") || path.endsWith("/..")) {
            throw BuildErrors.pushFailed("not a path this provider made: " + path, null);
        }
        Path p = Path.of(path);
        try {
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) Files.delete(p);
        } catch (IOException e) {
            throw BuildErrors.pushFailed("cannot remove " + path + ": " + e, e);
        }
    }
}
