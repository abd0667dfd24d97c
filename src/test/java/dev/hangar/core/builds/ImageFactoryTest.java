package dev.hangar.core.builds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.builds.FactoryImage.Kind;
import dev.hangar.core.builds.FactoryImage.Status;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.operations.Operations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The factory's decisions with its adapters replaced by small stand-ins (the builder, converters and
 * providers have tests of their own against the real tools): the statuses an image goes through, what
 * waits for what, the build slots, cancelling, failures with reasons, and a restart.
 */
public class ImageFactoryTest {
    public static final ImageTemplate MOCK = new ImageTemplate("m", null,
            new ImageTemplate.Os("MockOS_A", "1", "x86_64", ImageTemplate.InstallType.URL, "http://mock.test/", null),
            List.of(), List.of(), List.of(), List.of(), null);
    static final ImageTemplate FEDORA = new ImageTemplate("f14jeos", "Fedora 14", new ImageTemplate.Os("Fedora", "14", "x86_64",
            ImageTemplate.InstallType.URL, "http://download.fedoraproject.org/pub/fedora/linux/releases/14/Fedora/x86_64/os/", "p@55w0rd!"),
            List.of(), List.of(), List.of(), List.of(), null);
    /** A Debian template that fetches from deb.debian.org, and a file of its own (base64). */
    static final ImageTemplate WEB = web(new ImageTemplate.TemplateFile("/etc/motd", ImageTemplate.Encoding.BASE64, "aGVsbG8K"));

    static ImageTemplate web(ImageTemplate.TemplateFile file) {
        return new ImageTemplate("web", "a web server", new ImageTemplate.Os("Debian", "bookworm", "x86_64", ImageTemplate.InstallType.URL,
                "http://deb.debian.org/debian", "secret"), List.of("busybox"), List.of(file), List.of(), List.of(), 3L);
    }

    @TempDir
    Path dir;
    final Store store = new Store();
    final Builder builder = new Builder();
    final Providers providers = new Providers();
    final List<FactoryImage> notified = new CopyOnWriteArrayList<>();
    final dev.hangar.core.InMemoryUrlPolicy urls = new dev.hangar.core.InMemoryUrlPolicy();
    final dev.hangar.core.operations.Operations operations = new dev.hangar.core.operations.Operations(new dev.hangar.core.vms.VmServiceTest.InMemoryOperationStore(), Clock.systemUTC());
    ImageFactory factory;

    ImageFactory factory(int slots, long minFree) throws IOException {
        factory = new ImageFactory(new ImageFactory.Ports(store, List.of(builder), new Targets(), providers, url -> WEB,
                notified::add, urls), new ImageFactory.Settings(dir.resolve("builds"), slots, minFree), operations, Clock.systemUTC());
        factory.start();
        return factory;
    }

    @AfterEach
    void close() {
        if (factory != null) factory.close();
        builder.release.countDown();
    }

    @Test
    void baseThenTargetThenProviderEachEndCompleteAndTellTheirCallbacks() throws Exception {
        factory(1, 0);
        builder.release.countDown();
        FactoryImage base = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of("http://cb.test/"));
        assertEquals(Status.NEW, base.status());
        FactoryImage target = factory.createTarget(base.id(), null, "MOCK", Map.of(), List.of());
        FactoryImage pushed = factory.createProvider(target.id(), null, null, null,
                new ProviderPublisher.Provider("hangar", Map.of(), Map.of("password", "not stored")), Map.of(), List.of());
        FactoryImage done = await(pushed.id(), i -> i.status() == Status.COMPLETE);
        assertEquals(100, done.percent());
        assertEquals("sha256", done.published().properties().get("checksum_type"));
        assertEquals(Map.of(), store.find(pushed.id()).orElseThrow().provider().credentials(), "credentials are never stored");
        assertTrue(Files.isRegularFile(factory.file(target.id())));
        assertEquals(List.of(Status.PENDING, Status.BUILDING, Status.COMPLETE),
                notified.stream().filter(i -> i.id().equals(base.id())).map(FactoryImage::status).toList(), "each status change once");
        assertEquals(List.of(target.id()), factory.madeFrom(base.id()).stream().map(FactoryImage::id).toList());
        assertTrue(operations.recent().stream().anyMatch(o -> o.kind().equals("image.build") && o.target().equals(base.id().toString())
                && o.status() == dev.hangar.core.operations.Operation.Status.SUCCEEDED), "each image's work is an operation too: " + operations.recent());
        assertEquals("invalid-target", assertThrows(HangarException.class,
                () -> factory.createTarget(base.id(), null, "floppy", Map.of(), List.of())).code());
        assertEquals("image-not-found", assertThrows(HangarException.class, () -> factory.get(base.id(), Kind.TARGET)).code());
    }

    @Test
    void anOsThisHostCannotBuildFailsWithTheReasonAndSoDoesWhatWaitedForIt() throws Exception {
        factory(1, 0);
        FactoryImage base = factory.createBase(new TemplateSource.Inline(FEDORA), Map.of(), List.of());
        FactoryImage target = factory.createTarget(base.id(), null, "kvm", Map.of(), List.of());
        FactoryImage failed = await(base.id(), i -> i.status() == Status.FAILED);
        assertEquals("os-not-buildable", failed.error().code());
        assertTrue(operations.recent().stream().anyMatch(o -> o.target().equals(base.id().toString())
                && o.status() == dev.hangar.core.operations.Operation.Status.FAILED && o.error().code().equals("os-not-buildable")));
        assertTrue(failed.error().message().contains("Fedora 14"), failed.error().message());
        assertEquals("source-image-failed", await(target.id(), i -> i.status() == Status.FAILED).error().code());
        assertFalse(Files.exists(dir.resolve("builds").resolve(base.id().toString())), "no files of a failed image");

        // Image Factory 1.0's mock target builds nothing real, whatever the OS.
        FactoryImage mock = factory.createTarget(null, new TemplateSource.Inline(FEDORA), "mock", Map.of(), List.of());
        builder.release.countDown();
        assertEquals(Status.COMPLETE, await(mock.id(), i -> i.status().isDone()).status());
    }

    @Test
    void cancellingTheOperationsOfARunningAndAWaitingBuildFailsBothBuildCancelledAndKeepsTheirRecords() throws Exception {
        factory(1, 0);
        FactoryImage running = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        await(running.id(), i -> i.status() == Status.BUILDING);
        FactoryImage waiting = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        await(waiting.id(), i -> i.status() == Status.PENDING);

        for (FactoryImage image : List.of(waiting, running)) {
            var op = operations.recent().stream().filter(o -> o.target().equals(image.id().toString())).findFirst().orElseThrow();
            operations.cancel(op.id());
            var ended = operations.await(op.id(), java.time.Duration.ofSeconds(10));
            assertEquals(dev.hangar.core.operations.Operation.Status.FAILED, ended.status(), image.id().toString());
            assertEquals("operation-cancelled", ended.error().code());
            FactoryImage failed = await(image.id(), i -> i.status() == Status.FAILED);
            assertEquals("build-cancelled", failed.error().code());
        }
        assertTrue(builder.sawCancel, "the running build was asked to stop, and stopped");
        assertTrue(Files.notExists(dir.resolve("builds").resolve(running.id().toString()).resolve("base.raw")), "no half-made file is kept");
    }

    @Test
    void oneBuildSlotMeansTheSecondBuildWaitsPendingAndADeleteCancelsTheRunningOne() throws Exception {
        factory(1, 0);
        FactoryImage first = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        await(first.id(), i -> i.status() == Status.BUILDING && i.percent() == 40);
        FactoryImage second = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        Thread.sleep(200);
        assertEquals(Status.PENDING, factory.get(second.id()).status(), "one build at a time");

        FactoryImage third = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        long t0 = System.nanoTime();
        factory.delete(third.id());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "a build still waiting for its slot goes at once");
        assertEquals("image-not-found", assertThrows(HangarException.class, () -> factory.get(third.id())).code());

        factory.delete(first.id());
        assertTrue(builder.sawCancel, "the builder was told to stop");
        assertEquals("image-not-found", assertThrows(HangarException.class, () -> factory.get(first.id())).code());
        assertFalse(Files.exists(dir.resolve("builds").resolve(first.id().toString())));
        assertEquals(Status.BUILDING, await(second.id(), i -> i.status() == Status.BUILDING).status(), "the slot went to the next build");
    }

    @Test
    void aRestartFailsCutOffWorkWithAReasonAndRemovesItsHalfMadeFiles() throws Exception {
        UUID id = UUID.randomUUID();
        store.save(new FactoryImage(id, Kind.BASE, Status.BUILDING, 40, "installing packages", null, MOCK, Map.of(), List.of(),
                null, null, null, null, null, null, Instant.EPOCH, Instant.EPOCH));
        Path work = Files.createDirectories(dir.resolve("builds").resolve(".work-" + id));
        Files.writeString(work.resolve("half.raw"), "half");
        factory(1, 0);
        FactoryImage after = factory.get(id);
        assertEquals(Status.FAILED, after.status());
        assertEquals("build-interrupted", after.error().code());
        assertFalse(Files.exists(work));
    }

    @Test
    void aRestartAbandonsAPushItCutOffSoTheProviderKeepsNothingOfIt() throws Exception {
        UUID id = UUID.randomUUID();
        store.save(new FactoryImage(id, Kind.PROVIDER, Status.BUILDING, 50, "publishing", null, MOCK, Map.of(), List.of(),
                UUID.randomUUID(), UUID.randomUUID(), "kvm", new ProviderPublisher.Provider("hangar", Map.of(), Map.of()), null, null,
                Instant.EPOCH, Instant.EPOCH));
        factory(1, 0);
        assertEquals("build-interrupted", factory.get(id).error().code());
        assertEquals(List.of(id.toString()), providers.abandoned);
    }

    @Test
    void tooLittleFreeSpaceFailsBeforeAnythingIsWritten() throws Exception {
        factory(1, Long.MAX_VALUE);
        FactoryImage base = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        assertEquals("not-enough-space", await(base.id(), i -> i.status() == Status.FAILED).error().code());
        assertNull(factory.get(base.id()).file());
    }

    @Test
    void urlsHangarMustNotReachAreRefusedBeforeAnyImageIsMade() throws Exception {
        factory(1, 0);
        urls.refuseFetch("http://169.254.169.254/web.tdl", "link-local")
                .refuseDelivery("http://127.0.0.1:12345/imagefactory/images", "Hangar's own port");
        HangarException template = assertThrows(HangarException.class,
                () -> factory.createBase(new TemplateSource.AtUrl("http://169.254.169.254/web.tdl"), Map.of(), List.of()));
        assertEquals("image-url-forbidden", template.code());
        assertEquals("callback-url-forbidden", assertThrows(HangarException.class, () -> factory.createTarget(null,
                new TemplateSource.Inline(MOCK), "mock", Map.of(), List.of("http://127.0.0.1:12345/imagefactory/images"))).code());
        // What a real build fetches from this host: the install tree, repositories, files by URL.
        for (String refused : List.of("http://deb.debian.org/debian", "http://169.254.169.254/files/motd")) {
            urls.refuseFetch(refused, "denied");
            ImageTemplate withFile = web(new ImageTemplate.TemplateFile("/etc/motd", ImageTemplate.Encoding.URL, "http://169.254.169.254/files/motd"));
            assertEquals("image-url-forbidden", assertThrows(HangarException.class,
                    () -> factory.createBase(new TemplateSource.Inline(withFile), Map.of(), List.of())).code(), refused);
        }
        assertEquals(List.of(), factory.list(Kind.BASE), "nothing was made for a refused request");
        assertEquals(List.of(), factory.list(Kind.TARGET));
    }

    @Test
    void aTemplateComesByTheIdOfAnEarlierImageOrByUrl() throws Exception {
        factory(2, 0);
        builder.release.countDown();
        FactoryImage first = factory.createBase(new TemplateSource.Inline(MOCK), Map.of(), List.of());
        FactoryImage again = factory.createBase(new TemplateSource.OfImage(first.id()), Map.of(), List.of());
        assertEquals(first.template(), again.template());
        FactoryImage byUrl = factory.createBase(new TemplateSource.AtUrl("http://templates.test/web.tdl"), Map.of(), List.of());
        assertEquals("web", byUrl.template().name());
        assertEquals("template-not-found", assertThrows(HangarException.class,
                () -> factory.createBase(new TemplateSource.OfImage(UUID.randomUUID()), Map.of(), List.of())).code());
    }

    private FactoryImage await(UUID id, Predicate<FactoryImage> condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        FactoryImage i = store.find(id).orElseThrow();
        while (!condition.test(i)) {
            if (System.nanoTime() > until) throw new AssertionError("image " + id + " stayed " + i.status() + " " + i.error());
            Thread.sleep(10);
            i = store.find(id).orElseThrow();
        }
        return i;
    }

    /** Builds MockOS only; reports 40 %, then waits to be released or cancelled. */
    public static final class Builder implements BaseImageBuilder {
        public final CountDownLatch release = new CountDownLatch(1);
        volatile boolean sawCancel;

        @Override
        public Optional<String> cannotBuild(ImageTemplate.Os os) {
            return os.isMock() ? Optional.empty() : Optional.of("the stand-in builds MockOS only");
        }

        @Override
        public void build(ImageTemplate template, Path output, Path workDir, BuildProgress progress) {
            progress.report(40, "installing packages");
            try {
                while (release.getCount() > 0) {
                    if (progress.cancelled()) {
                        sawCancel = true;
                        throw new HangarException(HangarException.Kind.CONFLICT, "build-cancelled", "cancelled");
                    }
                    Thread.sleep(10);
                }
                Files.writeString(output, "base");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new HangarException(HangarException.Kind.CONFLICT, "build-cancelled", "interrupted");
            }
        }
    }

    public static final class Targets implements TargetConverter {
        @Override
        public Set<String> targets() { return Set.of("mock", "kvm"); }

        @Override
        public Path convert(Path base, String target, String name, Path outputDir, BuildProgress progress) {
            try {
                return Files.writeString(outputDir.resolve(name + "." + target), "target of " + Files.readString(base));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static final class Providers implements ProviderPublisher {
        @Override
        public Set<String> providers() { return Set.of("hangar"); }

        @Override
        public void check(Provider provider) { }

        @Override
        public Published publish(Path file, String target, String id, Provider provider, BuildProgress progress) {
            return new Published("http://hangar.test/" + id, Map.of("url", "http://hangar.test/" + id, "checksum", "ab", "checksum_type", "sha256"));
        }

        @Override
        public void unpublish(Published published, Provider provider) { }

        /** The ids whose unfinished pushes were abandoned. */
        public final List<String> abandoned = new CopyOnWriteArrayList<>();

        @Override
        public void abandon(String id, Provider provider) { abandoned.add(id); }
    }

    public static final class Store implements FactoryImageStore {
        final Map<UUID, FactoryImage> all = new ConcurrentHashMap<>();

        @Override
        public void save(FactoryImage image) { all.put(image.id(), image); }

        @Override
        public Optional<FactoryImage> find(UUID id) { return Optional.ofNullable(all.get(id)); }

        @Override
        public List<FactoryImage> all() {
            return new ArrayList<>(all.values()).stream().sorted(Comparator.comparing(FactoryImage::createdAt)).toList();
        }

        @Override
        public void delete(UUID id) { all.remove(id); }
    }
}
