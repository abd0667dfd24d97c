package dev.hangar.core.builds;

import dev.hangar.core.FileTrees;
import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.builds.FactoryImage.Kind;
import dev.hangar.core.builds.FactoryImage.Status;
import dev.hangar.core.operations.OperationLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image factory: base images built from templates, target images made from them, provider images
 * pushed from those. Each image is its own job: it waits for the image it is made from, then for a
 * build slot (PENDING), works (BUILDING, with a percent that follows the work), and ends COMPLETE or
 * FAILED with a reason. A DELETE cancels running work and removes files and pushes. A restart fails
 * the work it cut off, with a reason, and removes what it half made.
 */
public final class ImageFactory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageFactory.class);
    private static final Duration DEPENDENCY_POLL = Duration.ofMillis(100);
    /** The parameter that asks for Image Factory's mock base image whatever the OS (v1's targets=mock does). */
    public static final String MOCK_PARAMETER = "mock";

    /** The adapters the factory needs. */
    public record Ports(FactoryImageStore images, List<BaseImageBuilder> builders, TargetConverter targets,
                        ProviderPublisher providers, TemplateFetcher templates, BuildNotifier notifier, UrlPolicy urls) {}

    /** Where images are kept, how many builds run at once, and the free space a build needs to start. */
    public record Settings(Path dir, int maxConcurrent, long minFreeBytes) {}

    private final Ports ports;
    private final Settings settings;
    private final OperationLog operations;
    private final Clock clock;
    private final Semaphore slots;
    private final ExecutorService jobs = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<UUID, Future<?>> running = new ConcurrentHashMap<>();
    private final Set<UUID> cancelled = ConcurrentHashMap.newKeySet();
    /** Provider credentials, kept in memory only: a later DELETE can unpublish, a restart forgets them. */
    private final Map<UUID, ProviderPublisher.Provider> credentials = new ConcurrentHashMap<>();

    /** @param operations where each image's work is also shown, as every long action is (/operations) */
    public ImageFactory(Ports ports, Settings settings, OperationLog operations, Clock clock) {
        this.ports = ports;
        this.settings = settings;
        this.operations = operations;
        this.clock = clock;
        this.slots = new Semaphore(settings.maxConcurrent(), true);
    }

    /** Fails what a restart cut off (it cannot be resumed halfway) and removes half-made files. */
    public void start() throws IOException {
        Files.createDirectories(settings.dir());
        for (FactoryImage image : ports.images().all()) {
            if (!image.status().isDone()) {
                log.info("image {} was {} when the service stopped: failed", image.id(), image.status());
                FactoryImage failed = image.failed(new Problem("build-interrupted",
                        "the service stopped while this image was " + image.status().name().toLowerCase(Locale.ROOT) + "; build it again"), clock.instant());
                save(failed);
                FileTrees.delete(work(image.id()));
                if (image.file() == null) FileTrees.delete(dir(image.id()));
                abandonPush(image);
            }
        }
    }

    // ---- creating --------------------------------------------------------------------------------

    /** A base image from a template; 400 invalid-template / template-not-found at once when the template is no good. */
    public FactoryImage createBase(TemplateSource source, Map<String, String> parameters, List<String> callbacks) {
        checkCallbacks(callbacks);
        ImageTemplate template = resolve(source);
        checkFetchedUrls(template);
        FactoryImage image = fresh(Kind.BASE, Tdl.write(template), parameters, callbacks, null, null, null, null);
        submit(image);
        return image;
    }

    /** A target image of an existing base image, or of a new base image built from the template first. */
    public FactoryImage createTarget(UUID baseImage, TemplateSource source, String target, Map<String, String> parameters,
                                     List<String> callbacks) {
        checkCallbacks(callbacks);
        String t = checkedTarget(target);
        UUID base = baseImage;
        if (base == null) {
            if (source == null) throw HangarException.invalid("missing-template", "a target image needs a base image or a template");
            Map<String, String> baseParameters = new java.util.HashMap<>(parameters);
            if (t.equals("mock")) baseParameters.put(MOCK_PARAMETER, "true"); // Image Factory's mock target builds nothing real
            base = createBase(source, baseParameters, List.of()).id();
        } else {
            get(base, Kind.BASE);
        }
        FactoryImage parent = get(base);
        FactoryImage image = fresh(Kind.TARGET, parent.templateText(), parameters, callbacks, base, null, t, null);
        submit(image);
        return image;
    }

    /** A provider image: a target image (existing, or made first from a base image or a template) pushed to a provider. */
    public FactoryImage createProvider(UUID targetImage, UUID baseImage, TemplateSource source, String target,
                                       ProviderPublisher.Provider provider, Map<String, String> parameters, List<String> callbacks) {
        checkCallbacks(callbacks);
        if (provider == null || provider.type() == null) throw HangarException.invalid("invalid-provider", "a provider image needs a provider");
        String type = provider.type().toLowerCase(Locale.ROOT);
        if (!ports.providers().providers().contains(type)) {
            throw HangarException.invalid("invalid-provider", "unknown provider " + provider.type() + "; known: "
                    + String.join(", ", new java.util.TreeSet<>(ports.providers().providers())));
        }
        ProviderPublisher.Provider p = new ProviderPublisher.Provider(type, provider.settings(), provider.credentials());
        ports.providers().check(p);
        UUID from = targetImage;
        if (from == null) {
            if (target == null) throw HangarException.invalid("missing-target", "a provider image needs a target image, or a target to make one");
            from = createTarget(baseImage, source, target, parameters, List.of()).id();
        }
        FactoryImage parent = get(from, Kind.TARGET);
        // Only type and settings are stored: credentials stay in memory.
        FactoryImage image = fresh(Kind.PROVIDER, parent.templateText(), parameters, callbacks, parent.baseImage(), from,
                parent.target(), new ProviderPublisher.Provider(type, p.settings(), Map.of()));
        credentials.put(image.id(), p);
        submit(image);
        return image;
    }

    private FactoryImage fresh(Kind kind, String template, Map<String, String> parameters, List<String> callbacks, UUID base,
                               UUID targetImage, String target, ProviderPublisher.Provider provider) {
        FactoryImage image = new FactoryImage(UUID.randomUUID(), kind, Status.NEW, 0, "queued", null, template, parameters, callbacks,
                base, targetImage, target, provider, null, null, clock.instant(), clock.instant());
        save(image);
        return image;
    }

    /** Callbacks are checked before anything is made: an image made for a refused request would be left over. */
    private void checkCallbacks(List<String> callbacks) {
        for (String url : callbacks) {
            if (!url.matches("(?i)https?://\\S+")) throw HangarException.invalid("invalid-callback-url", "callbacks must be http or https URLs: " + url);
            ports.urls().deliveryRefusal(url).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.CALLBACK_URL_FORBIDDEN, "Hangar does not call back " + url + ": " + why);
            });
        }
    }

    /**
     * The URLs a real build fetches from this host (the install tree or ISO, extra repositories, files by
     * URL) must be ones the outbound policy lets Hangar fetch. MockOS fetches nothing.
     */
    private void checkFetchedUrls(ImageTemplate template) {
        if (template.os().isMock()) return;
        List<String> urls = new ArrayList<>();
        if (template.os().installLocation() != null) urls.add(template.os().installLocation().strip());
        for (ImageTemplate.Repository r : template.repositories()) urls.add(r.url().strip().split("\\s+")[0]); // an apt source: URL SUITE COMPONENTS
        for (ImageTemplate.TemplateFile f : template.files()) {
            if (f.encoding() == ImageTemplate.Encoding.URL) urls.add(f.content().strip());
        }
        for (String url : urls) {
            ports.urls().fetchRefusal(url).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "Hangar does not fetch " + url + ": " + why);
            });
        }
    }

    private ImageTemplate resolve(TemplateSource source) {
        if (source instanceof TemplateSource.AtUrl u) {
            ports.urls().fetchRefusal(u.url()).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "Hangar does not fetch the template at " + u.url() + ": " + why);
            });
        }
        return switch (source) {
            case TemplateSource.Inline i -> i.template().validated();
            case TemplateSource.OfImage o -> Tdl.parse(ports.images().find(o.image()).map(FactoryImage::templateText)
                    .orElseThrow(() -> new HangarException(HangarException.Kind.INVALID, "template-not-found", "no image " + o.image() + " to take the template from")));
            case TemplateSource.AtUrl u -> Tdl.parse(ports.templates().fetch(u.url()));
        };
    }

    private String checkedTarget(String target) {
        String t = target == null ? null : target.strip().toLowerCase(Locale.ROOT);
        if (t == null || !ports.targets().targets().contains(t)) {
            throw HangarException.invalid("invalid-target", "unknown target " + target + "; known: "
                    + String.join(", ", new java.util.TreeSet<>(ports.targets().targets())));
        }
        return t;
    }

    // ---- reading ---------------------------------------------------------------------------------

    public FactoryImage get(UUID id) {
        return ports.images().find(id).filter(i -> i.status() != Status.DELETED)
                .orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no image " + id));
    }

    /** The image, which must be of that kind: a base image's id is no target image (404). */
    public FactoryImage get(UUID id, Kind kind) {
        FactoryImage image = get(id);
        if (image.kind() != kind) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no " + kind.name().toLowerCase(Locale.ROOT) + " image " + id);
        }
        return image;
    }

    public List<FactoryImage> list(Kind kind) {
        return ports.images().all().stream().filter(i -> i.kind() == kind && i.status() != Status.DELETED).toList();
    }

    /** The images made from this one: a base image's target images, a target image's provider images. */
    public List<FactoryImage> madeFrom(UUID id) {
        return ports.images().all().stream().filter(i -> i.status() != Status.DELETED
                && (i.kind() == Kind.TARGET && id.equals(i.baseImage()) || i.kind() == Kind.PROVIDER && id.equals(i.targetImage()))).toList();
    }

    /** The file of a complete base or target image (raw_image); 404 while it has none. */
    public Path file(UUID id) {
        FactoryImage image = get(id);
        if (image.status() != Status.COMPLETE || image.file() == null) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "image-file-not-found", "image " + id + " has no file (it is " + image.status() + ")");
        }
        return dir(id).resolve(image.file());
    }

    // ---- deleting --------------------------------------------------------------------------------

    /** Cancels the image's work, removes its file and what it pushed, and forgets it. */
    public void delete(UUID id) {
        FactoryImage image = get(id);
        save(image.at(Status.DELETING, image.percent(), "deleting", clock.instant()));
        cancelled.add(id);
        Future<?> job = running.get(id);
        // Work that has not started (waiting for a slot or for its source) stops at once; work under
        // way is asked to stop and given time to clean up after itself.
        if (job != null && image.status() != Status.BUILDING) job.cancel(true);
        if (job != null && !job.isDone()) {
            try {
                job.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                job.cancel(true);
            }
        }
        try {
            if (image.kind() == Kind.PROVIDER && image.published() != null) {
                ProviderPublisher.Provider p = credentials.getOrDefault(id, image.provider());
                ports.providers().unpublish(image.published(), p);
            }
            FileTrees.delete(dir(id));
            ports.images().delete(id);
            credentials.remove(id);
            notify(image.at(Status.DELETED, image.percent(), "deleted", clock.instant()));
            log.info("image {} deleted", id);
        } catch (RuntimeException e) {
            save(image.at(Status.DELETEFAILED, image.percent(), "delete failed", clock.instant())
                    .failed(new Problem("delete-failed", String.valueOf(e.getMessage())), clock.instant()));
            throw e;
        } finally {
            cancelled.remove(id);
        }
    }

    // ---- the work --------------------------------------------------------------------------------

    private void submit(FactoryImage image) {
        running.put(image.id(), jobs.submit(() -> {
            try {
                run(image.id());
            } finally {
                running.remove(image.id());
            }
        }));
    }

    private void run(UUID id) {
        FactoryImage image = ports.images().find(id).orElse(null);
        if (image == null) return;
        try {
            image = change(image, Status.PENDING, 0, image.kind() == Kind.BASE ? "waiting for a build slot" : "waiting for the image it is made from");
            FactoryImage parent = awaitParent(image);
            slots.acquire();
            try {
                checkNotCancelled(id);
                checkFreeSpace();
                image = change(image, Status.BUILDING, 0, "starting");
                Path dir = dir(id);
                Files.createDirectories(dir);
                Path work = work(id);
                Files.createDirectories(work);
                Progress progress = new Progress(id);
                FactoryImage done = switch (image.kind()) {
                    case BASE -> buildBase(image, dir, work, progress);
                    case TARGET -> convert(image, parent, dir, progress);
                    case PROVIDER -> publish(image, parent, progress);
                };
                FileTrees.delete(work);
                save(done);
                notify(done);
                log.info("{} image {} complete", image.kind().name().toLowerCase(Locale.ROOT), id);
            } finally {
                slots.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(id, new Problem("build-cancelled", "the build was cancelled"));
        } catch (HangarException e) {
            fail(id, Problem.of(e));
        } catch (IOException | RuntimeException e) {
            log.warn("image {} failed", id, e);
            fail(id, new Problem("build-failed", e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private FactoryImage buildBase(FactoryImage image, Path dir, Path work, Progress progress) throws IOException {
        ImageTemplate template = Tdl.parse(image.templateText());
        BaseImageBuilder builder = builderFor(template, "true".equals(image.parameters().get(MOCK_PARAMETER)));
        Path output = dir.resolve("base.raw");
        builder.build(template, output, work, progress);
        return ports.images().find(image.id()).orElseThrow().completed(output.getFileName().toString(), null, clock.instant());
    }

    private FactoryImage convert(FactoryImage image, FactoryImage base, Path dir, Progress progress) {
        Path file = ports.targets().convert(dir(base.id()).resolve(base.file()), image.target(), "image-" + image.id(), dir, progress);
        return ports.images().find(image.id()).orElseThrow().completed(file.getFileName().toString(), null, clock.instant());
    }

    private FactoryImage publish(FactoryImage image, FactoryImage target, Progress progress) {
        ProviderPublisher.Provider provider = credentials.getOrDefault(image.id(), image.provider());
        ProviderPublisher.Published published = ports.providers().publish(dir(target.id()).resolve(target.file()), target.target(),
                image.id().toString(), provider, progress);
        return ports.images().find(image.id()).orElseThrow().completed(null, published, clock.instant());
    }

    /** The first builder that can build the OS: the mock one for MockOS_* (or when asked), else a real one. */
    private BaseImageBuilder builderFor(ImageTemplate template, boolean mock) {
        ImageTemplate.Os os = mock ? new ImageTemplate.Os("MockOS_A", "1", "x86_64", null, null, null) : template.os();
        List<String> reasons = new ArrayList<>();
        for (BaseImageBuilder b : ports.builders()) {
            Optional<String> why = b.cannotBuild(os);
            if (why.isEmpty()) return b;
            reasons.add(why.get());
        }
        throw new HangarException(HangarException.Kind.INVALID, "os-not-buildable", "this host cannot build " + os.name() + " " + os.version()
                + ": " + String.join("; ", reasons));
    }

    /** Waits for the image this one is made from; fails this one if that one fails or goes. */
    private FactoryImage awaitParent(FactoryImage image) throws InterruptedException {
        UUID parentId = switch (image.kind()) {
            case BASE -> null;
            case TARGET -> image.baseImage();
            case PROVIDER -> image.targetImage();
        };
        if (parentId == null) return null;
        while (true) {
            checkNotCancelled(image.id());
            FactoryImage parent = ports.images().find(parentId).orElseThrow(() -> new HangarException(HangarException.Kind.CONFLICT,
                    "source-image-gone", "image " + parentId + ", which this one is made from, was deleted"));
            switch (parent.status()) {
                case COMPLETE -> {
                    return parent;
                }
                case FAILED, DELETING, DELETED, DELETEFAILED -> throw new HangarException(HangarException.Kind.CONFLICT, "source-image-failed",
                        "image " + parentId + ", which this one is made from, is " + parent.status()
                                + (parent.error() != null ? ": " + parent.error().message() : ""));
                default -> Thread.sleep(DEPENDENCY_POLL);
            }
        }
    }

    private void checkFreeSpace() throws IOException {
        long free = Files.getFileStore(settings.dir()).getUsableSpace();
        if (free < settings.minFreeBytes()) {
            throw new HangarException(HangarException.Kind.UNAVAILABLE, "not-enough-space", "only " + (free >> 20) + " MiB are free under "
                    + settings.dir() + "; a build needs at least " + (settings.minFreeBytes() >> 20) + " MiB");
        }
    }

    private void checkNotCancelled(UUID id) {
        if (cancelled.contains(id)) throw new HangarException(HangarException.Kind.CONFLICT, "build-cancelled", "the build was cancelled");
    }

    private void fail(UUID id, Problem problem) {
        FileTrees.delete(work(id));
        ports.images().find(id).ifPresent(image -> {
            if (image.status() == Status.DELETING) return; // the delete finishes it
            FactoryImage failed = image.failed(problem, clock.instant());
            // A failed image keeps no half-made file, here or in its provider.
            FileTrees.delete(dir(id));
            abandonPush(image);
            FactoryImage recorded = new FactoryImage(failed.id(), failed.kind(), failed.status(), failed.percent(), failed.activity(),
                    failed.error(), failed.templateText(), failed.parameters(), failed.callbacks(), failed.baseImage(), failed.targetImage(),
                    failed.target(), failed.provider(), null, null, failed.createdAt(), failed.updatedAt());
            save(recorded);
            notify(recorded);
            log.warn("image {} failed: {} ({})", id, problem.code(), problem.message());
        });
    }

    /** What a provider image's push that did not finish left in its provider. */
    private void abandonPush(FactoryImage image) {
        if (image.kind() != Kind.PROVIDER || image.provider() == null) return;
        try {
            ports.providers().abandon(image.id().toString(), image.provider());
        } catch (RuntimeException e) {
            log.warn("cannot remove what the push of image {} left: {}", image.id(), e.toString());
        }
    }

    private FactoryImage change(FactoryImage image, Status status, int percent, String activity) {
        FactoryImage next = ports.images().find(image.id()).orElse(image).at(status, percent, activity, clock.instant());
        save(next);
        notify(next);
        return next;
    }

    private void save(FactoryImage image) {
        ports.images().save(image);
        operation(image);
    }

    /** The image's work as an operation: image.build, image.convert or image.push on the image's id. */
    private void operation(FactoryImage image) {
        String kind = switch (image.kind()) {
            case BASE -> "image.build";
            case TARGET -> "image.convert";
            case PROVIDER -> "image.push";
        };
        switch (image.status()) {
            case NEW, PENDING, BUILDING -> operations.progress(operations.start(kind, image.id().toString()), image.percent(), image.activity());
            case COMPLETE -> operations.succeeded(operations.start(kind, image.id().toString()));
            case FAILED -> operations.failed(operations.start(kind, image.id().toString()), image.error());
            default -> { } // deleting and deleted: the operation keeps how the work ended
        }
    }

    private void notify(FactoryImage image) {
        if (image.callbacks().isEmpty()) return;
        try {
            ports.notifier().changed(image);
        } catch (RuntimeException e) {
            log.warn("callback for image {}: {}", image.id(), e.toString());
        }
    }

    private Path dir(UUID id) {
        return settings.dir().resolve(id.toString());
    }

    /** Scratch space of a running build, kept apart so a restart knows it is only ever half-made. */
    private Path work(UUID id) {
        return settings.dir().resolve(".work-" + id);
    }

    /** Progress of one image's work, written to its record as it moves (at most once a percent). */
    private final class Progress implements BuildProgress {
        private final UUID id;
        private int last = -1;
        private String lastActivity = "";

        Progress(UUID id) {
            this.id = id;
        }

        @Override
        public synchronized void report(int percent, String activity) {
            int p = Math.max(0, Math.min(99, percent)); // 100 is COMPLETE's alone
            if (p == last && activity.equals(lastActivity)) return;
            last = p;
            lastActivity = activity;
            ports.images().find(id).filter(i -> i.status() == Status.BUILDING)
                    .ifPresent(i -> save(i.at(Status.BUILDING, p, activity, clock.instant())));
        }

        @Override
        public boolean cancelled() {
            return cancelled.contains(id) || Thread.currentThread().isInterrupted();
        }
    }

    @Override
    public void close() {
        jobs.shutdownNow();
        try {
            // Cut-off work stops at its next check; waiting for it means nothing writes under the builds
            // directory once close returns (the next start fails what was cut off, by its record).
            jobs.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
