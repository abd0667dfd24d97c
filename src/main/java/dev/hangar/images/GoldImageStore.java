package dev.hangar.images;

import dev.hangar.core.Cancellation;
import dev.hangar.core.FileTrees;
import dev.hangar.core.HangarException.Kind;
import dev.hangar.core.HangarException;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.images.CachedImage;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.vms.VmRequest;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache of gold images under {@code imagesDir}, one directory per {@link ImageRef#cacheKey()}.
 *
 * <p>A gold image is built in {@code imagesDir/.tmp-<random>/} (download unpacked to {@code unpack/},
 * converted disks and {@code gold.json} to {@code gold/}), then published by one atomic rename of
 * {@code gold/} to {@code imagesDir/<key>/}. {@code gold.json} is written last, and a directory without it
 * is never used, so a crash leaves either a whole gold image or only a temp directory, which
 * {@link #removeLeftovers()} deletes at the next start. Any failure deletes the temp directory.
 *
 * <p>Library VMs ({@code --vm-lib}) take the same path without the download: the folder
 * {@code NAME.vmwarevm} is read where it lies and its disks are converted into the gold directory.
 */
public final class GoldImageStore implements GoldImages {
    private static final Logger log = LoggerFactory.getLogger(GoldImageStore.class);
    private static final String TEMP_PREFIX = ".tmp-";
    /** A gold's directory: a download's {@code <checksum_type>-<checksum>}, or a library VM's {@code lib-<name>-<fingerprint>}. */
    private static final Pattern KEY_DIR = Pattern.compile("(md5|sha1|sha256|sha512)-[0-9a-f]+|lib-[A-Za-z0-9._-]+-[0-9a-f]+");
    private static final String LIBRARY_PREFIX = "lib-";
    private static final String LIBRARY_FOLDER_SUFFIX = ".vmwarevm";
    /** 64 bits of the folder's SHA-256: enough to tell one folder's states apart. */
    private static final int FINGERPRINT_BYTES = 8;
    private static final String KERNEL = "kernel";
    private static final String INITRD = "initrd";
    /** A file whose modification time says when a VM last used the gold. */
    private static final String LAST_USED = "last-used";

    private final Path imagesDir;
    /** The VM library (--vm-lib); null when none is configured. */
    private final Path libraryDir;
    private final long maxImageBytes;
    private final java.time.Duration stallTimeout;
    private final HttpClient http;
    /** Golds read once: a published gold never changes, so every POST need not parse gold.json again. */
    private final ConcurrentHashMap<String, GoldImage> known = new ConcurrentHashMap<>();
    /** Fetches under way by key: every caller for a key waits on the one fetch. Guarded by itself. */
    private final java.util.Map<String, Fetch> inFlight = new java.util.HashMap<>();

    /**
     * @param maxImageBytes the most an image may download, and separately the most it may unpack to
     * @param http used for every download; redirects are followed whatever its redirect policy
     */
    public GoldImageStore(Path imagesDir, long maxImageBytes, HttpClient http) {
        this(imagesDir, maxImageBytes, http, Download.DEFAULT_STALL_TIMEOUT);
    }

    /** @param stallTimeout how long a download may go without a byte before it fails (image-download-failed) */
    public GoldImageStore(Path imagesDir, long maxImageBytes, HttpClient http, java.time.Duration stallTimeout) {
        this(imagesDir, maxImageBytes, http, stallTimeout, null);
    }

    /** @param libraryDir the VM library whose {@code NAME.vmwarevm} folders VMs may boot; null for none */
    public GoldImageStore(Path imagesDir, long maxImageBytes, HttpClient http, java.time.Duration stallTimeout, Path libraryDir) {
        Objects.requireNonNull(imagesDir, "imagesDir");
        this.libraryDir = libraryDir == null ? null : libraryDir.toAbsolutePath();
        this.stallTimeout = Objects.requireNonNull(stallTimeout, "stallTimeout");
        this.http = Objects.requireNonNull(http, "http");
        if (maxImageBytes <= 0) throw new IllegalArgumentException("maxImageBytes must be positive: " + maxImageBytes);
        this.maxImageBytes = maxImageBytes;
        this.imagesDir = UnpackDir.local(() -> {
            Files.createDirectories(imagesDir);
            return imagesDir.toRealPath();
        });
    }

    /** Told what the cache did, for the metrics: a gold found ready, or an image downloaded (its bytes). */
    public interface Observer {
        void cacheHit();

        void downloaded(long bytes);
    }

    private volatile Observer observer = new Observer() {
        @Override public void cacheHit() {}
        @Override public void downloaded(long bytes) {}
    };

    public void observe(Observer observer) {
        this.observer = observer;
    }

    /**
     * Blocking. Returns the cached gold for ref.cacheKey() with no network access, or downloads, verifies,
     * unpacks, converts and publishes it. Concurrent calls for one key download once and share the result
     * (or the failure); a failed key is fetched afresh by the next call.
     */
    @Override
    public GoldImage obtain(ImageRef ref) {
        return obtain(ref, FetchProgress.NONE, Cancellation.NEVER);
    }

    @Override
    public GoldImage obtain(ImageRef ref, FetchProgress progress, Cancellation cancellation) {
        ImageRef image = ref.validated();
        return obtainOnce(image.cacheKey(), p -> fetch(image, p), progress, cancellation);
    }

    /**
     * One fetch of a key, on a thread of its own so that no caller owns it: its result, and the callers
     * still waiting for it (each with its progress). When the last of them is called off, the fetch is
     * abandoned: its thread is interrupted, which ends the download's read (and so closes its
     * connection) or the conversion's qemu-img, and the fetch's own cleanup removes what it wrote.
     */
    private static final class Fetch {
        final CompletableFuture<GoldImage> result = new CompletableFuture<>();
        final java.util.List<FetchProgress> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread worker;

        /** Tells every waiting caller how the download goes. */
        final FetchProgress progress = new FetchProgress() {
            @Override
            public void downloaded(long bytes, long total) {
                for (FetchProgress p : waiting) p.downloaded(bytes, total);
            }

            @Override
            public void converting() {
                for (FetchProgress p : waiting) p.converting();
            }
        };
    }

    /**
     * The gold under key if it is published, else made by make, once however many callers ask at a time.
     * A caller called off leaves at once with {@code cancelled}; the making goes on while anyone waits.
     */
    private GoldImage obtainOnce(String key, java.util.function.Function<FetchProgress, GoldImage> make, FetchProgress progress,
                                 Cancellation cancellation) {
        Optional<GoldImage> hit = read(key);
        if (hit.isPresent()) {
            observer.cacheHit();
            return used(hit.get());
        }
        Fetch fetch;
        synchronized (inFlight) {
            fetch = inFlight.get(key);
            if (fetch == null) {
                Fetch started = fetch = new Fetch();
                inFlight.put(key, started);
                started.worker = Thread.ofVirtual().name("image-fetch-" + key).unstarted(() -> make(key, started, make));
                started.worker.start();
            }
            fetch.waiting.add(progress);
        }
        CompletableFuture<GoldImage> mine = new CompletableFuture<>();
        fetch.result.whenComplete((gold, failure) -> {
            if (failure != null) mine.completeExceptionally(failure);
            else mine.complete(gold);
        });
        try (var listening = cancellation.onCancel(() -> mine.completeExceptionally(new java.util.concurrent.CancellationException()))) {
            return used(await(mine));
        } finally {
            leave(key, fetch, progress);
        }
    }

    /**
     * The fetch's thread: another call may have published between the cache check and claiming the key.
     * The key is given up before the result is told, so a call that comes after a failure fetches afresh.
     */
    private void make(String key, Fetch fetch, java.util.function.Function<FetchProgress, GoldImage> make) {
        GoldImage gold = null;
        Throwable failure = null;
        try {
            gold = read(key).orElseGet(() -> make.apply(fetch.progress));
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            synchronized (inFlight) {
                inFlight.remove(key, fetch);
            }
        }
        if (failure != null) fetch.result.completeExceptionally(failure);
        else fetch.result.complete(gold);
    }

    /** A caller stops waiting; the last one to leave a fetch still under way abandons it. */
    private void leave(String key, Fetch fetch, FetchProgress progress) {
        synchronized (inFlight) {
            fetch.waiting.remove(progress);
            if (!fetch.waiting.isEmpty() || fetch.result.isDone()) return;
            // Out of the map first: a caller who comes now starts a fetch of its own.
            inFlight.remove(key, fetch);
        }
        log.info("fetch of gold {} abandoned: every VM that waited for it was deleted", key);
        fetch.worker.interrupt();
    }

    /**
     * Linked clones of the gold's disks in {@code vmDir} ({@code disk0.qcow2}, ...), each a qcow2 overlay
     * that holds only what the VM writes. A clone already there (a resumed creation) is kept.
     */
    /**
     * Blocking. The gold image of the library folder {@code NAME.vmwarevm}, made from its {@code NAME.vmx} and
     * the disks that names, with the same checks and conversion as a downloaded VMware box. It is keyed by
     * the folder's {@link #fingerprint}: an unchanged folder is a cache hit without reading its disks, a
     * changed one is imported again under a new key. The gold of the folder's earlier state is kept: VMs
     * cloned from it use its disks as their backing files. The folder is only read, never written.
     */
    @Override
    public GoldImage obtainFromLibrary(String name) {
        VmRequest.checkedLibraryName(name); // it becomes a path below: checked here too, whoever calls
        if (libraryDir == null) {
            throw ImageFailures.libraryVmNotFound("no VM library is configured (--vm-lib), so there is no library VM " + name);
        }
        if (!Files.isDirectory(libraryDir)) {
            throw ImageFailures.libraryVmNotFound("the VM library " + libraryDir + " is not a directory (asked for library VM " + name + ")");
        }
        Path folder = libraryDir.resolve(name + LIBRARY_FOLDER_SUFFIX);
        if (!Files.isDirectory(folder)) {
            throw ImageFailures.libraryVmNotFound("the VM library " + libraryDir + " has no folder " + folder.getFileName());
        }
        UnpackDir tree = UnpackDir.readOnly(folder, new ByteBudget(maxImageBytes));
        // A .vmx that is a link leading out of the folder is refused (image-unsafe-archive), as in a download.
        Path vmx = tree.resolveInside(tree.root(), name + ".vmx", "library folder " + folder.getFileName());
        if (!Files.isRegularFile(vmx)) {
            throw ImageFailures.libraryVmNotFound("library folder " + folder + " holds no " + name + ".vmx");
        }
        String key = LIBRARY_PREFIX + name + "-" + fingerprint(tree);
        return obtainOnce(key, progress -> importFolder(key, tree, vmx), FetchProgress.NONE, Cancellation.NEVER);
    }

    /** The gold image for ref if it is in the cache; never touches the network. */
    @Override
    public Optional<GoldImage> cached(ImageRef ref) {
        return read(ref.validated().cacheKey());
    }

    @Override
    public Optional<GoldImage> byKey(String key) {
        return KEY_DIR.matcher(key).matches() ? read(key) : Optional.empty();
    }

    /** Marks the gold used now (the mtime of its {@code last-used} file), for least-recently-used eviction. */
    private GoldImage used(GoldImage gold) {
        Path stamp = gold.dir().resolve(LAST_USED);
        try {
            if (!Files.exists(stamp)) Files.createFile(stamp);
            Files.setLastModifiedTime(stamp, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
        } catch (IOException e) {
            log.debug("cannot mark {} used: {}", gold.key(), e.getMessage()); // it only counts as older
        }
        return gold;
    }

    @Override
    public List<CachedImage> cachedImages() {
        List<CachedImage> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(imagesDir)) {
            for (Path dir : (Iterable<Path>) entries::iterator) {
                String key = dir.getFileName().toString();
                if (!KEY_DIR.matcher(key).matches() || !Files.isRegularFile(dir.resolve(GoldFile.NAME))) continue;
                try {
                    Path stamp = Files.exists(dir.resolve(LAST_USED)) ? dir.resolve(LAST_USED) : dir.resolve(GoldFile.NAME);
                    out.add(new CachedImage(key, bytesIn(dir), Files.getLastModifiedTime(stamp).toInstant()));
                } catch (IOException e) {
                    log.debug("skipping {} in the cache listing: {}", dir, e.getMessage()); // removed meanwhile
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw ImageFailures.storeFailed("cannot list " + imagesDir + ": " + ImageFailures.describe(e), e);
        }
        return out;
    }

    /** The sizes of the regular files under dir, links not followed. */
    private static long bytesIn(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            long total = 0;
            for (Path p : (Iterable<Path>) walk::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isRegularFile()) total += a.size();
            }
            return total;
        }
    }

    @Override
    public long remove(String key) {
        if (!KEY_DIR.matcher(key).matches()) throw new IllegalArgumentException("not a gold image key: " + key);
        Path dir = imagesDir.resolve(key);
        if (!Files.isDirectory(dir)) return 0;
        long bytes;
        Path aside;
        try {
            bytes = bytesIn(dir);
            // Moved aside in one step, so nobody finds half a gold; a crash leaves a temp directory for removeLeftovers.
            aside = imagesDir.resolve(TEMP_PREFIX + "removed-" + key);
            Files.move(dir, aside, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ImageFailures.storeFailed("cannot remove " + dir + ": " + ImageFailures.describe(e), e);
        }
        known.remove(key);
        FileTrees.delete(aside);
        return bytes;
    }

    /** Called at service start: deletes temp directories and gold directories a crash left without gold.json. */
    @Override
    public void removeLeftovers() {
        List<Path> leftovers = new ArrayList<>();
        try (Stream<Path> entries = Files.list(imagesDir)) {
            entries.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith(TEMP_PREFIX)
                        || (KEY_DIR.matcher(name).matches() && Files.isDirectory(p) && !Files.exists(p.resolve(GoldFile.NAME)));
            }).forEach(leftovers::add);
        } catch (IOException e) {
            throw ImageFailures.storeFailed("cannot list " + imagesDir + ": " + ImageFailures.describe(e), e);
        }
        for (Path p : leftovers) FileTrees.delete(p);
        if (!leftovers.isEmpty()) log.info("removed {} leftover image directories from {}", leftovers.size(), imagesDir);
    }

    /**
     * A short hex SHA-256 over the sorted relative paths, sizes and modification times of every file in the
     * folder (a link counts by its target's name): any file added, removed, rewritten or touched changes it,
     * and it costs no read of a disk. Directories count only by the files in them.
     */
    private static String fingerprint(UnpackDir tree) {
        List<String> lines = UnpackDir.local(() -> {
            try (Stream<Path> walk = Files.walk(tree.root())) {
                List<String> out = new ArrayList<>();
                for (Path p : (Iterable<Path>) walk::iterator) {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isDirectory()) continue;
                    String what = a.isSymbolicLink() ? "link " + Files.readSymbolicLink(p)
                            : a.size() + " " + a.lastModifiedTime().toInstant();
                    out.add(tree.root().relativize(p) + "\0" + what);
                }
                return out;
            }
        });
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String line : lines.stream().sorted().toList()) sha256.update((line + "\n").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha256.digest(), 0, FINGERPRINT_BYTES);
    }

    /** Converts a library folder's VM into a gold image; the folder is read in place, nothing of it is copied. */
    private GoldImage importFolder(String key, UnpackDir tree, Path vmx) {
        long started = System.nanoTime();
        // Built beside the downloads' temp directories, so a crash leaves what removeLeftovers deletes.
        Path work = UnpackDir.local(() -> Files.createTempDirectory(imagesDir, TEMP_PREFIX));
        try {
            VmLocator.LocatedVm vm = new VmLocator(tree, work).locateVmx(vmx);
            Path gold = UnpackDir.local(() -> Files.createDirectory(work.resolve("gold")));
            build(key, tree.root().toUri().toString(), vm, gold);
            GoldImage image = publish(gold, key);
            log.info("imported library VM {} in {} s: gold {} ({} disks)", tree.root(),
                    String.format("%.1f", (System.nanoTime() - started) / 1e9), key, image.disks().size());
            return image;
        } catch (RuntimeException e) {
            log.warn("import of library VM {} for {} failed after {} s: {}", tree.root(), key,
                    String.format("%.1f", (System.nanoTime() - started) / 1e9), e.getMessage());
            throw whereFull(e, "library VM " + tree.root().getFileName());
        } finally {
            FileTrees.delete(work);
        }
    }

    private GoldImage fetch(ImageRef ref, FetchProgress progress) {
        String key = ref.cacheKey();
        long started = System.nanoTime();
        // Searchable (not listable) by others: qemu-img converts as the unprivileged user from here.
        Path work = UnpackDir.local(() -> Files.createTempDirectory(imagesDir, TEMP_PREFIX,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"))));
        try {
            UnpackDir tree = new UnpackDir(work.resolve("unpack"), new ByteBudget(maxImageBytes));
            long bytes = download(ref, tree, progress);
            observer.downloaded(bytes);
            progress.converting();
            VmLocator.LocatedVm vm = new VmLocator(tree, work).locate();
            Path gold = UnpackDir.local(() -> Files.createDirectory(work.resolve("gold")));
            build(key, ref.url(), vm, gold);
            GoldImage image = publish(gold, key);
            log.info("fetched image {}: {} bytes in {} s, gold {} ({} disks, from {})", RedactedUrl.of(ref.url()), bytes,
                    String.format("%.1f", (System.nanoTime() - started) / 1e9), key, image.disks().size(), vm.describedBy());
            return image;
        } catch (RuntimeException e) {
            log.warn("fetch of image {} for {} failed after {} s: {}", RedactedUrl.of(ref.url()), key,
                    String.format("%.1f", (System.nanoTime() - started) / 1e9), e.getMessage());
            throw whereFull(e, "the image from " + ref.url());
        } finally {
            FileTrees.delete(work);
        }
    }

    /**
     * The one pass over the download: unpack while the digest and counters see every byte, then drain
     * what follows the archive, then verify. Damaged data is reported only after the checksum: a body
     * that fails to decompress is most often one that does not match.
     */
    private long download(ImageRef ref, UnpackDir tree, FetchProgress progress) {
        try (DownloadStream body = Download.open(http, ref.url(), ref.checksumType(), maxImageBytes, stallTimeout)) {
            body.onRead(progress);
            IOException damaged = null;
            boolean recognised = false;
            try {
                recognised = new Unpacker(tree).unpack(body);
            } catch (IOException e) {
                damaged = e;
            }
            body.drain();
            String actual = body.hexDigest();
            if (!actual.equalsIgnoreCase(ref.checksum())) {
                throw ImageFailures.checksumMismatch(ref.checksumType().wireName() + " of " + ref.url() + " is " + actual
                        + ", expected " + ref.checksum());
            }
            if (damaged != null) {
                throw ImageFailures.formatUnsupported("image from " + ref.url() + " cannot be unpacked: " + ImageFailures.describe(damaged));
            }
            if (!recognised) {
                throw ImageFailures.formatUnsupported("image from " + ref.url() + " is none of the supported formats:"
                        + " tar, zip (optionally gzip or bzip2 compressed), or a qcow2, vmdk, vdi, vhd, vhdx or raw disk");
            }
            return body.bytesRead();
        }
    }

    /** Converts every disk to qcow2, copies kernel and initrd, and writes gold.json last; source is where it came from. */
    private void build(String key, String source, VmLocator.LocatedVm vm, Path gold) {
        List<String> disks = new ArrayList<>();
        for (VmLocator.LocatedDisk disk : vm.disks()) {
            DiskReferences.check(disk.path(), disk.format(), disk.tree());
            String name = "disk" + disks.size() + ".qcow2";
            try {
                QemuImg.convertToQcow2(disk.path(), disk.format().qemuName(), gold.resolve(name));
            } catch (HangarException e) {
                // qemu-img ran and failed, but because the disk filled up, not because of the image.
                if (ImageFailures.noSpace(e)) throw ImageFailures.diskFull("qemu-img cannot write " + name + ": " + e.getMessage(), e);
                if (QemuImg.refused(e)) {
                    throw ImageFailures.formatUnsupported("qemu-img cannot convert disk " + disk.path().getFileName() + ": " + e.getMessage());
                }
                throw e;
            }
            disks.add(name);
        }
        String kernel = copyIn(vm.kernel(), gold, KERNEL);
        String initrd = copyIn(vm.initrd(), gold, INITRD);
        GoldFile file = new GoldFile(GoldFile.VERSION, key, source, disks, kernel, initrd, vm.profile(),
                vm.describedBy(), Instant.now().toString());
        UnpackDir.local(() -> {
            file.write(gold);
            return null;
        });
    }

    private static String copyIn(Path source, Path gold, String name) {
        if (source == null) return null;
        UnpackDir.local(() -> Files.copy(source, gold.resolve(name)));
        return name;
    }

    /** Moves the built directory into place atomically; if another process published the key first, its copy wins. */
    private GoldImage publish(Path built, String key) {
        Path target = imagesDir.resolve(key);
        try {
            Files.move(built, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.exists(target)) throw ImageFailures.storeFailed("cannot publish " + key + ": " + ImageFailures.describe(e), e);
            Optional<GoldImage> theirs = read(key);
            if (theirs.isPresent()) return theirs.get();
            // A directory there without a readable gold.json is no gold image: set it aside and take its place.
            Path stale = imagesDir.resolve(TEMP_PREFIX + "stale-" + UUID.randomUUID());
            UnpackDir.local(() -> Files.move(target, stale, StandardCopyOption.ATOMIC_MOVE));
            FileTrees.delete(stale);
            UnpackDir.local(() -> Files.move(built, target, StandardCopyOption.ATOMIC_MOVE));
        }
        return read(key).orElseThrow(() -> ImageFailures.storeFailed("published gold image " + key + " cannot be read back", null));
    }

    private Optional<GoldImage> read(String key) {
        Path dir = imagesDir.resolve(key);
        if (!Files.isRegularFile(dir.resolve(GoldFile.NAME))) {
            known.remove(key); // removed by hand: fetch it again
            return Optional.empty();
        }
        GoldImage seen = known.get(key);
        if (seen != null) return Optional.of(seen);
        try {
            GoldFile f = GoldFile.read(dir);
            List<Path> disks = f.disks().stream().map(dir::resolve).toList();
            for (Path d : disks) {
                if (!Files.isRegularFile(d)) throw new IOException("disk " + d.getFileName() + " is missing");
            }
            GoldImage gold = new GoldImage(key, dir, disks,
                    f.kernel() == null ? null : dir.resolve(f.kernel()),
                    f.initrd() == null ? null : dir.resolve(f.initrd()),
                    f.profile());
            known.put(key, gold);
            return Optional.of(gold);
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring gold image {}: {}", dir, ImageFailures.describe(e));
            return Optional.empty();
        }
    }

    /** A disk-full failure says where the disk is full and what needed the space; others go as they are. */
    private RuntimeException whereFull(RuntimeException e, String what) {
        if (!(e instanceof HangarException h) || !ImageFailures.DISK_FULL.equals(h.code())) return e;
        return ImageFailures.diskFull("no space left on the disk holding " + imagesDir + " for " + what + ": " + h.getMessage()
                + " (what was written of it is removed)", h);
    }

    private static GoldImage await(CompletableFuture<GoldImage> running) {
        try {
            return running.get();
        } catch (java.util.concurrent.CancellationException e) {
            throw new HangarException(Kind.CONFLICT, "cancelled", "the image was no longer wanted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.util.concurrent.CancellationException) {
                throw new HangarException(Kind.CONFLICT, "cancelled", "the image was no longer wanted");
            }
            // Re-thrown with this caller's stack; the fetching thread's failure is the cause.
            if (e.getCause() instanceof HangarException h) throw new HangarException(h.kind(), h.code(), h.getMessage(), h);
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new HangarException(Kind.INTERNAL, "image-store-failed", ImageFailures.describe(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HangarException(Kind.INTERNAL, "interrupted", "interrupted while waiting for an image download");
        }
    }
}
