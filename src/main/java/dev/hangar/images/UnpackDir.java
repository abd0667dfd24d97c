package dev.hangar.images;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * A directory that untrusted archive entries are written into, and the only way they get written.
 *
 * <p>Every entry is checked before anything is written for it: no absolute names, no {@code ..}
 * segments, no symlink or hard link pointing outside, and no writing through an existing link that
 * leads outside (a chain of links that each look harmless can still escape, so existing path
 * components are checked by their real path). Devices and FIFOs never get here: the archive readers
 * reject them. File modes are not restored, so nothing unpacked is setuid or executable.
 */
final class UnpackDir {
    /** Enough for any real VM bundle; stops an archive of millions of empty files eating inodes. */
    static final int MAX_ENTRIES = 100_000;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private final ByteBudget budget;
    /** A directory read in place (a library VM folder): nothing may be written into it. */
    private final boolean readOnly;
    private int entries;

    /** {@code root} is created if missing; it is used by its real path so that checks compare like with like. */
    UnpackDir(Path root, ByteBudget budget) {
        this(local(() -> {
            Files.createDirectories(root);
            return root.toRealPath();
        }), budget, false);
    }

    private UnpackDir(Path realRoot, ByteBudget budget, boolean readOnly) {
        this.root = realRoot;
        this.budget = budget;
        this.readOnly = readOnly;
    }

    /**
     * An existing directory that is read where it lies, as an operator's library VM folder is: the same
     * checks that names stay inside it, and every write refused, so it is never changed. The budget only
     * bounds an .ova the locator might unpack elsewhere.
     */
    static UnpackDir readOnly(Path existing, ByteBudget budget) {
        return new UnpackDir(local(existing::toRealPath), budget, true);
    }

    Path root() { return root; }

    ByteBudget budget() { return budget; }

    void directory(String name) {
        Path path = entryPath(name);
        if (path != null) makeDirectories(path);
    }

    /**
     * Writes one regular file from {@code data}. IOExceptions thrown by {@code data} propagate (damaged
     * input); failures to write are this host's and become {@code image-store-failed}.
     */
    void file(String name, long declaredSize, InputStream data) throws IOException {
        Path path = entryPath(name);
        if (path == null) throw ImageFailures.unsafe("archive entry with an empty name is not a directory");
        if (declaredSize > 0) budget.checkDeclared("entry " + name, declaredSize);
        makeDirectories(path.getParent());
        clearForEntry(path, name);
        OutputStream out = local(() -> Files.newOutputStream(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, NOFOLLOW));
        try {
            byte[] buf = new byte[65536];
            int n;
            while ((n = data.read(buf)) >= 0) {
                budget.take(n);
                final int len = n;
                local(() -> {
                    out.write(buf, 0, len);
                    return null;
                });
            }
        } finally {
            local(() -> {
                out.close();
                return null;
            });
        }
    }

    /** A symbolic link; its target must be relative and stay inside even before any other link is followed. */
    void symlink(String name, String target) {
        Path path = entryPath(name);
        if (path == null) throw ImageFailures.unsafe("symlink entry with an empty name");
        Path targetPath = checkedLinkTarget(path, name, target);
        makeDirectories(path.getParent());
        clearForEntry(path, name);
        local(() -> Files.createSymbolicLink(path, targetPath));
    }

    /**
     * Turns a file already written for a zip entry into the symlink it really is (its content is the
     * target), with the same checks as any link. Nothing is done if no such file was written.
     */
    void fileToSymlink(String name, int maxTargetBytes) {
        Path path = entryPath(name);
        if (path == null || !Files.isRegularFile(path, NOFOLLOW)) return;
        byte[] target = local(() -> {
            try (InputStream in = Files.newInputStream(path, NOFOLLOW)) {
                return in.readNBytes(maxTargetBytes + 1);
            }
        });
        if (target.length > maxTargetBytes) throw ImageFailures.unsafe("symlink " + name + " has an overlong target");
        Path targetPath = checkedLinkTarget(path, name, new String(target, java.nio.charset.StandardCharsets.UTF_8));
        local(() -> {
            Files.delete(path);
            return Files.createSymbolicLink(path, targetPath);
        });
    }

    private Path checkedLinkTarget(Path path, String name, String target) {
        if (target == null || target.isEmpty()) throw ImageFailures.unsafe("symlink " + name + " has no target");
        Path targetPath = parse(target, "symlink " + name + " target");
        checkLengths(targetPath, "symlink " + name + " target");
        if (targetPath.isAbsolute()) throw ImageFailures.unsafe("symlink " + name + " points to an absolute path: " + target);
        if (!path.getParent().resolve(targetPath).normalize().startsWith(root)) {
            throw ImageFailures.unsafe("symlink " + name + " points outside the image: " + target);
        }
        return targetPath;
    }

    /** A hard link to a regular file already unpacked; {@code target} is an archive name like any entry's. */
    void hardLink(String name, String target) {
        Path path = entryPath(name);
        if (path == null) throw ImageFailures.unsafe("hard link entry with an empty name");
        Path existing;
        try {
            existing = entryPath(target);
        } catch (RuntimeException e) {
            throw ImageFailures.unsafe("hard link " + name + " points outside the image: " + target);
        }
        if (existing == null || !Files.isRegularFile(existing, NOFOLLOW) || !realPath(existing).startsWith(root)) {
            throw ImageFailures.unsafe("hard link " + name + " does not point to a file unpacked before it: " + target);
        }
        // Replacing the entry's old file would delete the very file it is to link to.
        if (existing.equals(path)) throw ImageFailures.unsafe("hard link " + name + " points to itself");
        makeDirectories(path.getParent());
        clearForEntry(path, name);
        local(() -> Files.createLink(path, existing));
    }

    /**
     * After unpacking: every link that leads anywhere must lead inside. Entry checks already ensure this;
     * this pass is the backstop, because the locator and qemu-img will later follow these links.
     */
    void checkLinks() {
        local(() -> Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isSymbolicLink() && Files.exists(file) && !realPath(file).startsWith(root)) {
                    throw ImageFailures.unsafe("link " + root.relativize(file) + " leads outside the image");
                }
                return FileVisitResult.CONTINUE;
            }
        }));
    }

    /**
     * {@code name} (relative to {@code base}, a directory inside) as an existing path inside the image, for
     * files that a .vmx, OVF or manifest names. Returns the path even if the file is missing (the caller
     * says what is missing); refuses names that lead outside, directly or through links.
     */
    Path resolveInside(Path base, String name, String namedBy) {
        Path rel = parse(name, namedBy);
        if (rel.isAbsolute()) throw ImageFailures.unsafe(namedBy + " names an absolute path: " + name);
        Path path = base.resolve(rel).normalize();
        if (!path.startsWith(root)) throw ImageFailures.unsafe(namedBy + " names a file outside the image: " + name);
        if (Files.exists(path) && !realPath(path).startsWith(root)) {
            throw ImageFailures.unsafe(namedBy + " names a file that links outside the image: " + name);
        }
        return path;
    }

    /** Refuses a path (e.g. reported by qemu-img) that is not inside the image once links are followed. */
    void requireInside(Path path, String what) {
        if (!Files.exists(path)) throw ImageFailures.noDisk(what + " is missing: " + path);
        if (!realPath(path).startsWith(root)) throw ImageFailures.unsafe(what + " is outside the image: " + path);
    }

    /** Regular files under the root, links not followed, shallowest first then by name, for the locator. */
    Stream<Path> files() {
        return local(() -> {
            try (Stream<Path> walk = Files.walk(root)) {
                return walk.filter(p -> Files.isRegularFile(p, NOFOLLOW))
                        .sorted((a, b) -> a.getNameCount() != b.getNameCount()
                                ? Integer.compare(a.getNameCount(), b.getNameCount()) : a.compareTo(b))
                        .toList().stream();
            }
        });
    }

    /** The checked destination of an archive entry name, or null for the archive's own root ("./"). */
    private Path entryPath(String name) {
        if (readOnly) throw new IllegalStateException("nothing is written into " + root + ": it is read in place");
        if (++entries > MAX_ENTRIES) throw ImageFailures.tooLarge("archive has more than " + MAX_ENTRIES + " entries");
        String n = name;
        while (n.startsWith("./")) n = n.substring(2);
        if (n.isEmpty() || n.equals(".")) return null;
        if (n.startsWith("/")) throw ImageFailures.unsafe("archive entry has an absolute name: " + name);
        for (String segment : n.split("/")) {
            if (segment.equals("..")) throw ImageFailures.unsafe("archive entry name climbs out with '..': " + name);
        }
        Path path = root.resolve(parse(n, "archive entry")).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw ImageFailures.unsafe("archive entry lands outside the image: " + name);
        }
        checkLengths(path, "archive entry " + name);
        return path;
    }

    /**
     * Linux's limits, a name of at most 255 bytes and a path of under 4096: an image that asks for more is
     * refused as unusable, rather than failing as if this host could not write.
     */
    private static void checkLengths(Path path, String what) {
        if (path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 4096) {
            throw ImageFailures.formatUnsupported(what + " is a path longer than this host allows");
        }
        for (Path part : path) {
            if (part.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
                throw ImageFailures.formatUnsupported(what + " has a name longer than the 255 bytes this host allows");
            }
        }
    }

    /** Creates each missing directory in turn; an existing component (perhaps an unpacked link) must really be inside. */
    private void makeDirectories(Path dir) {
        Path current = root;
        for (Path part : root.relativize(dir)) {
            if (part.toString().isEmpty()) continue;
            current = current.resolve(part);
            if (Files.exists(current, NOFOLLOW)) {
                Path real = realPath(current);
                if (!real.startsWith(root)) {
                    throw ImageFailures.unsafe("archive writes through a link that leads outside the image: " + root.relativize(current));
                }
                if (!Files.isDirectory(real)) {
                    throw ImageFailures.unsafe("archive uses a file as a directory: " + root.relativize(current));
                }
            } else {
                Path created = current;
                local(() -> Files.createDirectory(created));
            }
        }
    }

    /** A later entry of the same name replaces an earlier one (tar semantics), but never a directory. */
    private void clearForEntry(Path path, String name) {
        if (Files.isDirectory(path, NOFOLLOW)) throw ImageFailures.unsafe("archive entry replaces a directory: " + name);
        local(() -> Files.deleteIfExists(path)); // a link itself is deleted, never its target
    }

    private Path realPath(Path path) {
        // A link that leads nowhere, or links that lead to each other (ELOOP), are the image's doing.
        if (!Files.exists(path)) throw ImageFailures.unsafe("link " + root.relativize(path) + " leads nowhere");
        try {
            return path.toRealPath();
        } catch (NoSuchFileException e) {
            throw ImageFailures.unsafe("link " + root.relativize(path) + " leads nowhere");
        } catch (IOException e) {
            throw ImageFailures.storeFailed("cannot resolve " + path + ": " + ImageFailures.describe(e), e);
        }
    }

    private static Path parse(String name, String what) {
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            throw ImageFailures.unsafe(what + " is not a valid path: " + name.replace("\0", "\\0"));
        }
    }

    interface LocalIo<T> {
        T run() throws IOException;
    }

    /** Runs file-system work on this host: its IOExceptions are this host's failures, not the image's. */
    static <T> T local(LocalIo<T> action) {
        try {
            return action.run();
        } catch (IOException | UncheckedIOException e) {
            throw ImageFailures.storeFailed("cannot write the image on this host: " + ImageFailures.describe(e), e);
        }
    }
}
