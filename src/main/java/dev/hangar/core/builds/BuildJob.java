package dev.hangar.core.builds;

import dev.hangar.core.FileTrees;
import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.builds.FactoryImage.Kind;
import dev.hangar.core.builds.FactoryImage.Status;
import dev.hangar.core.builds.ImageFactory.Ports;
import dev.hangar.core.builds.ImageFactory.Settings;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.operations.RunningOperation;
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
 * Each image's work, as a job: it waits for the image it is made from, then for a build slot (PENDING),
 * works (BUILDING, with a percent that follows the work), and ends COMPLETE or FAILED with a reason,
 * shown as an operation and told to the image's callbacks. A delete cancels the work and removes its
 * files and pushes. A restart fails the work it cut off, with a reason, and removes what it half made.
 */
final class BuildJob implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BuildJob.class);
    private static final Duration DEPENDENCY_POLL = Duration.ofMillis(100);

    private final Ports ports;
    private final Settings settings;
    private final Operations operations;
    /** Each image's work as an operation, while it runs: begun at submit, ended with the work. */
    private final Map<UUID, RunningOperation> ops = new ConcurrentHashMap<>();
    /** The thread of each image's work, to interrupt what waits (for a slot, for its source) on a cancel. */
    private final Map<UUID, Thread> workers = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Semaphore slots;
    private final ExecutorService jobs = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<UUID, Future<?>> running = new ConcurrentHashMap<>();
    private final Set<UUID> cancelled = ConcurrentHashMap.newKeySet();
    /** Provider credentials, kept in memory only: a later delete can unpublish, a restart forgets them. */
    private final Map<UUID, ProviderPublisher.Provider> credentials = new ConcurrentHashMap<>();

    BuildJob(Ports ports, Settings settings, Operations operations, Clock clock) {
        this.ports = ports;
        this.settings = settings;
        this.operations = operations;
        this.clock = clock;
        this.slots = new Semaphore(settings.maxConcurrent(), true);
    }

    /** Fails what a restart cut off (it cannot be resumed halfway) and removes half-made files. */
    void recover() throws IOException {
        Files.createDirectories(settings.dir());
        for (FactoryImage image : ports.images().all()) {
            if (!image.status().isDone()) {
                log.info("image {} was {} when the service stopped: failed", image.id(), image.status());
                FactoryImage failed = image.failed(new Problem("build-interrupted",
                        "the service stopped while this image was " + image.status().name().toLowerCase(Locale.ROOT) + "; build it again"), clock.instant());
                ops.put(image.id(), operations.begin(kindOf(image), image.id().toString())); // the operation it had, to end
                save(failed);
                FileTrees.delete(work(image.id()));
                if (image.file() == null) FileTrees.delete(dir(image.id()));
                abandonPush(image);
            }
        }
    }

    /** Runs the image's work; a provider image's credentials (kept in memory only) come with it. */
    void submit(FactoryImage image, ProviderPublisher.Provider provider) {
        UUID id = image.id();
        if (provider != null) credentials.put(id, provider);
        ops.put(id, operations.begin(kindOf(image), id.toString(), () -> cancel(id)));
        running.put(id, jobs.submit(() -> {
            workers.put(id, Thread.currentThread());
            try {
                run(id);
            } finally {
                workers.remove(id);
                running.remove(id);
                cancelled.remove(id);
            }
        }));
    }

    /**
     * Calls the image's work off (its operation's cancel): what waits for a slot or its source stops at
     * once; work under way stops at its next check. The image ends FAILED, build-cancelled, and is kept.
     */
    private void cancel(UUID id) {
        cancelled.add(id);
        Thread worker = workers.get(id);
        FactoryImage image = ports.images().find(id).orElse(null);
        if (worker != null && image != null && image.status() != Status.BUILDING) worker.interrupt();
    }

    /** Cancels the image's work, removes its file and what it pushed, and forgets it. */
    void delete(FactoryImage image) {
        UUID id = image.id();
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
            RunningOperation op = ops.remove(id);
            if (op != null) op.failed(new Problem("image-deleted", "the image was deleted before its work ended"));
            log.info("image {} deleted", id);
        } catch (RuntimeException e) {
            save(image.at(Status.DELETEFAILED, image.percent(), "delete failed", clock.instant())
                    .failed(new Problem("delete-failed", String.valueOf(e.getMessage())), clock.instant()));
            throw e;
        } finally {
            cancelled.remove(id);
        }
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
        ImageTemplate template = image.template();
        BaseImageBuilder builder = builderFor(template, "true".equals(image.parameters().get(ImageFactory.MOCK_PARAMETER)));
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
            FactoryImage recorded = failed.withoutOutput();
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

    void save(FactoryImage image) {
        ports.images().save(image);
        operation(image);
    }

    /** The image's work as an operation's kind: image.build, image.convert or image.push, on the image's id. */
    private static String kindOf(FactoryImage image) {
        return switch (image.kind()) {
            case BASE -> "image.build";
            case TARGET -> "image.convert";
            case PROVIDER -> "image.push";
        };
    }

    /** Where the image's work stands, told to its operation (which the work's end ends). */
    private void operation(FactoryImage image) {
        boolean ends = image.status() == Status.COMPLETE || image.status() == Status.FAILED;
        RunningOperation op = ends ? ops.remove(image.id()) : ops.get(image.id());
        if (op == null) return;
        switch (image.status()) {
            case NEW, PENDING, BUILDING -> op.progress(image.percent(), image.activity());
            case COMPLETE -> op.succeeded();
            case FAILED -> op.failed(image.error());
            default -> { } // deleting: the delete ends it
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

    Path dir(UUID id) {
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
            jobs.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
