package dev.hangar.images;

import static dev.hangar.images.Archives.dir;
import static dev.hangar.images.Archives.file;
import static dev.hangar.images.Archives.symlink;
import static dev.hangar.images.TestDisks.convert;
import static dev.hangar.images.TestDisks.rawDisk;
import static dev.hangar.images.TestDisks.read;
import static dev.hangar.images.TestDisks.ref;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.Cancellation;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.GoldImages;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import dev.hangar.outbound.OutboundHttpClient;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.outbound.OutboundTls;
import dev.hangar.testing.ImageServer;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gold image store against a real HTTP server, with real archives and real disks. */
class GoldImageStoreTest {
    static final long LIMIT = 64L << 20;
    static final String VMX = """
            .encoding = "UTF-8"
            numvcpus = "2"
            memsize = "512"
            guestOS = "other26xlinux-64"
            ethernet0.virtualDev = "vmxnet3"
            scsi0.present = "TRUE"
            scsi0.virtualDev = "lsilogic"
            scsi0:0.present = "TRUE"
            scsi0:0.fileName = "box.vmdk"
            ide1:0.fileName = "tools.iso"
            """;

    @TempDir Path tmp;
    Path images;
    Path sourceRaw;
    ImageServer server;
    GoldImageStore store;

    @BeforeEach
    void setUp() {
        images = tmp.resolve("images");
        sourceRaw = rawDisk(tmp.resolve("src"), "box.raw", 2 << 20);
        server = new ImageServer();
        // Hangar's outbound client, as the service uses it: it follows redirects, checking each hop.
        store = new GoldImageStore(images, LIMIT, OutboundHttpClient.fetching(
                new OutboundPolicy(List.of(), List.of(), "/imagefactory/published"), OutboundTls.context(null)));
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    /** box.vmwarevm/{box.vmx, box.vmdk} as a tar.gz, the way osx-builder images are packed. */
    byte[] vmwareBundle(String vmx) {
        Path vmdk = convert(sourceRaw, "vmdk", tmp.resolve("src/box.vmdk"));
        return Archives.gzip(Archives.tar(
                dir("box.vmwarevm"),
                file("box.vmwarevm/box.vmx", vmx),
                file("box.vmwarevm/box.vmdk", read(vmdk))));
    }

    HangarException failure(ImageRef ref) {
        return assertThrows(HangarException.class, () -> store.obtain(ref));
    }

    void assertNothingCached() throws Exception {
        try (Stream<Path> left = Files.list(images)) {
            assertEquals(List.of(), left.toList(), "a failed fetch leaves nothing under the images directory");
        }
    }

    /** A body that sends its first 64 KiB and then nothing more, for a minute. */
    static java.io.InputStream stallingBody() {
        return new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(new byte[64 << 10]), new java.io.InputStream() {
            @Override
            public int read() {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return -1;
            }
        });
    }

    @Test
    void aDownloadThatStallsMidBodyFailsAndReleasesEveryCreateWaitingForIt() throws Exception {
        GoldImageStore impatient = new GoldImageStore(images, LIMIT, HttpClient.newHttpClient(), java.time.Duration.ofSeconds(1));
        ImageRef ref = new ImageRef(server.serve("/stalls.raw", GoldImageStoreTest::stallingBody), "ab".repeat(32), ChecksumType.SHA256);
        long started = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<?> first = pool.submit(() -> impatient.obtain(ref));
            Future<?> second = pool.submit(() -> impatient.obtain(ref));
            for (Future<?> f : List.of(first, second)) {
                var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(30, java.util.concurrent.TimeUnit.SECONDS));
                HangarException cause = (HangarException) e.getCause();
                assertEquals("image-download-failed", cause.code());
                assertTrue(cause.getMessage().contains("stalled"), cause.getMessage());
            }
        }
        assertTrue(System.nanoTime() - started < java.time.Duration.ofSeconds(20).toNanos(), "well before the body's minute of silence");
        assertEquals(1, server.hits("/stalls.raw"), "the second create waited for the first download");
        assertNothingCached();
    }

    @Test
    void aVmwareBundleBecomesAGoldImage() throws Exception {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/coreos_developer_vmware.tar.gz", body), body);

        GoldImage gold = store.obtain(ref);

        assertEquals(ref.cacheKey(), gold.key());
        assertEquals(images.toRealPath().resolve(ref.cacheKey()), gold.dir());
        assertEquals(1, gold.disks().size());
        Path disk = gold.disks().get(0);
        assertTrue(disk.startsWith(gold.dir()));
        assertEquals("qcow2", QemuImg.format(disk));
        assertTrue(TestDisks.info(disk).path("backing-filename").isMissingNode(), "the gold disk stands alone");
        assertTrue(TestDisks.sameContent(sourceRaw, disk), "the gold disk holds what the vmdk held");
        assertNull(gold.kernel());
        assertNull(gold.initrd());
        assertEquals(new MachineProfile(2, 512, "other26xlinux-64", NicModel.VMXNET3, DiskBus.LSI, Firmware.BIOS, null),
                gold.profile());
        assertEquals(1, server.requests());
        assertTrue(Files.isRegularFile(gold.dir().resolve("gold.json")));
        try (Stream<Path> entries = Files.list(images)) {
            assertEquals(List.of(gold.dir()), entries.toList(), "only the published gold directory remains");
        }
    }

    @Test
    void aFetchTellsItsBytesAgainstTheContentLengthThenItsConversion() throws Exception {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/box.tar.gz", body), body);
        List<String> told = new java.util.ArrayList<>();
        store.obtain(ref, new dev.hangar.core.images.GoldImages.FetchProgress() {
            @Override
            public void downloaded(long bytes, long total) {
                told.add(bytes + "/" + total);
            }

            @Override
            public void converting() {
                told.add("converting");
            }
        }, Cancellation.NEVER);
        assertEquals(body.length + "/" + body.length, told.get(told.size() - 2), "every byte, of the declared length");
        assertEquals("converting", told.getLast());
        told.clear();
        store.obtain(ref, (bytes, total) -> told.add("again"), Cancellation.NEVER);
        assertEquals(List.of(), told, "a cached gold downloads nothing");
    }

    @Test
    void theCacheListsEachGoldWithItsSizeAndLastUseAndRemovesOneWhole() throws Exception {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/box.tar.gz", body), body);
        assertEquals(List.of(), store.cachedImages());
        GoldImage gold = store.obtain(ref);
        dev.hangar.core.images.CachedImage listed = store.cachedImages().getFirst();
        assertEquals(ref.cacheKey(), listed.key());
        assertTrue(listed.bytes() >= Files.size(gold.disks().getFirst()), "its size counts its disks: " + listed);
        Files.setLastModifiedTime(gold.dir().resolve("last-used"), java.nio.file.attribute.FileTime.fromMillis(0));
        store.obtain(ref);
        assertTrue(store.cachedImages().getFirst().lastUsed().isAfter(java.time.Instant.now().minusSeconds(60)), "a cache hit is a use");

        assertEquals(listed.bytes(), store.remove(ref.cacheKey()));
        assertEquals(List.of(), store.cachedImages());
        assertNothingCached();
        assertTrue(store.cached(ref).isEmpty());
        assertEquals(0, store.remove(ref.cacheKey()), "removing what is not there frees nothing");
        assertThrows(IllegalArgumentException.class, () -> store.remove("../vms"));
        assertEquals(gold.disks().size(), store.obtain(ref).disks().size(), "a removed gold is fetched again when asked for");
        assertEquals(2, server.requests());
    }

    @Test
    void aCachedGoldImageIsReturnedWithoutTheNetwork() {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/box.tar.gz", body), body);
        assertTrue(store.cached(ref).isEmpty());
        GoldImage first = store.obtain(ref);

        GoldImage second = store.obtain(ref);
        GoldImage afterRestart = new GoldImageStore(images, LIMIT, HttpClient.newHttpClient()).obtain(ref);
        ImageRef sameImageElsewhere = new ImageRef("http://127.0.0.1:9/unreachable.tar.gz", ref.checksum(), ref.checksumType());

        assertEquals(1, server.requests(), "only the first obtain downloads");
        assertEquals(first, second);
        assertEquals(first, afterRestart);
        assertEquals(first, store.obtain(sameImageElsewhere), "the checksum identifies the gold image, not the URL");
        assertEquals(first, store.cached(ref).orElseThrow());
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError(what + ", not within 15 s");
            Thread.sleep(50);
        }
    }

    @Test
    void aDownloadItsOnlyCallerCallsOffStopsClosesItsConnectionAndLeavesNothing() throws Exception {
        ImageRef ref = new ImageRef(server.serve("/slow.raw", ImageServer::tricklingBody), "ab".repeat(32), ChecksumType.SHA256);
        Cancellation cancellation = new Cancellation();
        java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            Future<GoldImage> obtained = pool.submit(() -> store.obtain(ref, (n, total) -> bytes.set(n), cancellation));
            awaitTrue(() -> bytes.get() > 0, "the download is under way");
            long calledOff = System.nanoTime();
            cancellation.cancel();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> obtained.get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("cancelled", ((HangarException) e.getCause()).code());
            assertTrue(System.nanoTime() - calledOff < java.time.Duration.ofSeconds(2).toNanos(), "the caller leaves at once");
        }
        awaitTrue(() -> server.openAnswers() == 0, "the server sees its connection closed");
        long stoppedAt = bytes.get();
        awaitTrue(() -> {
            try (Stream<Path> left = Files.list(images)) {
                return left.findAny().isEmpty();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "the partial download is removed");
        Thread.sleep(200);
        assertEquals(stoppedAt, bytes.get(), "nothing more is downloaded");
        assertEquals(1, server.hits("/slow.raw"));
    }

    @Test
    void aDownloadOneCallerCallsOffGoesOnForAnotherThatWaitsForIt() throws Exception {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/box.tar.gz", body), body);
        server.delay(1500);
        Cancellation deleted = new Cancellation();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<GoldImage> first = pool.submit(() -> store.obtain(ref, GoldImages.FetchProgress.NONE, deleted));
            awaitTrue(() -> server.requests() == 1, "the download started");
            Future<GoldImage> second = pool.submit(() -> store.obtain(ref));
            Thread.sleep(300); // the second create joins the download
            deleted.cancel();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> first.get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("cancelled", ((HangarException) e.getCause()).code());
            GoldImage gold = second.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(ref.cacheKey(), gold.key());
        }
        assertEquals(1, server.requests(), "one download, which went on for the create still waiting");
    }

    @Test
    void concurrentObtainsOfOneKeyDownloadOnce() throws Exception {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/box.tar.gz", body), body);
        server.delay(300);
        ExecutorService pool = Executors.newFixedThreadPool(5);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<GoldImage>> results = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return store.obtain(ref);
                }));
            }
            start.countDown();
            GoldImage first = results.get(0).get();
            for (Future<GoldImage> r : results) assertEquals(first, r.get());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, server.requests());
    }

    @Test
    void aWrongChecksumCachesNothing() throws Exception {
        byte[] body = vmwareBundle(VMX);
        String url = server.serve("/box.tar.gz", body);
        String wrong = TestDisks.hex(ChecksumType.SHA1, "something else".getBytes());
        String actual = TestDisks.hex(ChecksumType.SHA1, body);

        HangarException e = failure(new ImageRef(url, wrong.toUpperCase(), ChecksumType.SHA1));

        assertEquals("image-checksum-mismatch", e.code());
        assertTrue(e.getMessage().contains(wrong) && e.getMessage().contains(actual), e.getMessage());
        assertNothingCached();
        assertEquals(1, store.obtain(new ImageRef(url, actual.toUpperCase(), ChecksumType.SHA1)).disks().size());
    }

    @Test
    void aMissingImageIsADownloadFailureNamingTheStatus() throws Exception {
        HangarException e = failure(ref(server.url("/nope.tar.gz"), new byte[1]));

        assertEquals("image-download-failed", e.code());
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertNothingCached();
    }

    @Test
    void anUnreachableServerIsADownloadFailure() throws Exception {
        String url = server.url("/box.tar.gz");
        server.close();

        HangarException e = failure(ref(url, new byte[1]));

        assertEquals("image-download-failed", e.code());
        assertNothingCached();
    }

    @Test
    void aFailedFetchIsRetriedByTheNextCall() {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.url("/later.tar.gz"), body);
        assertEquals("image-download-failed", failure(ref).code());

        server.serve("/later.tar.gz", body);

        assertEquals(1, store.obtain(ref).disks().size());
        assertEquals(2, server.requests());
    }

    @Test
    void redirectsAreFollowed() {
        byte[] body = vmwareBundle(VMX);
        server.serve("/releases/box.tar.gz", body);
        String url = server.redirect("/latest.tar.gz", "/releases/box.tar.gz");

        assertEquals(1, store.obtain(ref(url, body)).disks().size());
        assertEquals(2, server.requests());
    }

    @Test
    void randomBytesAreAnUnsupportedFormat() throws Exception {
        byte[] noise = new byte[100_000];
        new Random(1).nextBytes(noise);
        noise[510] = 0;

        HangarException e = failure(ref(server.serve("/noise.bin", noise), noise));

        assertEquals("image-format-unsupported", e.code());
        assertNothingCached();
    }

    @Test
    void aDamagedArchiveIsReportedAsAChecksumMismatchWhenItIsOne() throws Exception {
        byte[] good = vmwareBundle(VMX);
        byte[] damaged = good.clone();
        for (int i = 100; i < 200; i++) damaged[i] ^= 0x5a; // corrupt the deflate data
        String url = server.serve("/damaged.tar.gz", damaged);

        assertEquals("image-checksum-mismatch", failure(ref(url, good)).code(), "the checksum the user gave is for the good file");
        assertEquals("image-format-unsupported", failure(ref(url, damaged)).code(), "checksum fine: the file itself is broken");
        assertNothingCached();
    }

    @Test
    void theChecksumCoversBytesAfterTheArchiveEnd() throws Exception {
        // Tar readers stop at the end-of-archive marker; whatever follows (here 1 MiB of block padding)
        // is still part of the file the checksum was made of.
        byte[] tar = Archives.tar(file("vm/box.vmx", VMX), file("vm/box.vmdk", read(convert(sourceRaw, "vmdk", tmp.resolve("src/box.vmdk")))));
        byte[] padded = java.util.Arrays.copyOf(tar, tar.length + (1 << 20));
        String url = server.serve("/padded.tar", padded);

        assertEquals("image-checksum-mismatch", failure(ref(url, tar)).code(), "a checksum of the archive alone does not match");
        assertNothingCached();
        assertEquals(1, store.obtain(ref(url, padded)).disks().size());
    }

    @Test
    void anArchiveWithoutAVmHasNoDisk() throws Exception {
        byte[] body = Archives.gzip(Archives.tar(file("README", "nothing to see here\n")));

        HangarException e = failure(ref(server.serve("/readme.tar.gz", body), body));

        assertEquals("image-no-disk", e.code());
        assertNothingCached();
    }

    @Test
    void aVmxWhoseDiskIsMissingHasNoDisk() throws Exception {
        byte[] body = Archives.tar(file("box.vmwarevm/box.vmx", VMX));

        HangarException e = failure(ref(server.serve("/box.tar", body), body));

        assertEquals("image-no-disk", e.code());
        assertTrue(e.getMessage().contains("box.vmdk"), e.getMessage());
        assertNothingCached();
    }

    @Test
    void aDownloadOverTheLimitIsTooLarge() throws Exception {
        byte[] body = vmwareBundle(VMX);
        store = new GoldImageStore(images, body.length - 1, HttpClient.newHttpClient());

        HangarException e = failure(ref(server.serve("/box.tar.gz", body), body));

        assertEquals("image-too-large", e.code());
        assertNothingCached();
    }

    @Test
    void anArchiveThatUnpacksPastTheLimitIsTooLarge() throws Exception {
        // A few KiB of gzip that would unpack to 32 MiB: the download is small, the unpacking is not.
        byte[] bomb = Archives.gzip(Archives.tar(file("zeros.img", new byte[32 << 20])));
        store = new GoldImageStore(images, 4L << 20, HttpClient.newHttpClient());
        assertTrue(bomb.length < 4 << 20);

        HangarException e = failure(ref(server.serve("/bomb.tar.gz", bomb), bomb));

        assertEquals("image-too-large", e.code());
        assertNothingCached();
    }

    @Test
    void aZipOfAVmwareBundleWorks() {
        Path vmdk = convert(sourceRaw, "vmdk", tmp.resolve("src/box.vmdk"));
        byte[] body = Archives.zip(file("box.vmwarevm/box.vmx", VMX), file("box.vmwarevm/box.vmdk", read(vmdk)));

        GoldImage gold = store.obtain(ref(server.serve("/box.zip", body), body, ChecksumType.SHA1));

        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)));
        assertEquals(512, gold.profile().memoryMib());
    }

    @Test
    void aTarBz2MadeOnAMacWorks() {
        Path vmdk = convert(sourceRaw, "vmdk", tmp.resolve("src/box.vmdk"));
        // macOS tar adds AppleDouble "._" files beside the real ones; "._box.vmx" sorts first but is no .vmx.
        byte[] appleDouble = {0, 5, 22, 7, 0, 2, 0, 0, 'M', 'a', 'c', ' ', 'O', 'S', ' ', 'X'};
        byte[] body = Archives.bzip2(Archives.tar(file("vm/._box.vmx", appleDouble), file("vm/box.vmx", VMX),
                file("vm/._box.vmdk", appleDouble), file("vm/box.vmdk", read(vmdk))));

        GoldImage gold = store.obtain(ref(server.serve("/box.tar.bzip2", body), body, ChecksumType.MD5));

        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)));
    }

    @Test
    void aVmdkClaimingMoreThanAVmdkHoldsIsTooLargeAtOnceNotMinutesOfEmptyGrains() {
        byte[] body = read(convert(sourceRaw, "vmdk", tmp.resolve("src/huge.vmdk")));
        java.nio.ByteBuffer.wrap(body).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(12, 1L << 40); // capacity: 2^40 sectors, 512 PiB
        long started = System.nanoTime();
        HangarException e = failure(ref(server.serve("/huge.vmdk", body), body));
        assertEquals("image-too-large", e.code(), e.getMessage());
        assertTrue(System.nanoTime() - started < java.time.Duration.ofSeconds(30).toNanos(), "refused before any conversion");
    }

    @Test
    void aBareQcow2Works() {
        byte[] body = read(convert(sourceRaw, "qcow2", tmp.resolve("src/cloud.qcow2")));

        // Named .img like many cloud images: the bytes decide, not the name.
        GoldImage gold = store.obtain(ref(server.serve("/cloud.img", body), body, ChecksumType.SHA512));

        assertEquals(1, gold.disks().size());
        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)));
        assertEquals(MachineProfile.EMPTY, gold.profile(), "a bare disk says nothing about the machine");
    }

    @Test
    void aGzippedBareDiskWorks() {
        byte[] body = Archives.gzip(read(convert(sourceRaw, "qcow2", tmp.resolve("src/disk.qcow2"))));

        GoldImage gold = store.obtain(ref(server.serve("/disk.qcow2.gz", body), body));

        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)));
    }

    @Test
    void aFixedVhdIsRecognisedByItsFooter() {
        Path vhd = convert(sourceRaw, "vpc", tmp.resolve("src/disk.vhd"), "-o", "subformat=fixed");
        byte[] body = read(vhd);

        GoldImage gold = store.obtain(ref(server.serve("/disk", body), body));

        assertEquals("qcow2", QemuImg.format(gold.disks().get(0)));
        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)), "converted as a VHD, footer not taken for data");
    }

    @Test
    void anOvaInsideAZipWorks() {
        Path disk1 = convert(sourceRaw, "vmdk", tmp.resolve("src/disk1.vmdk"), "-o", "subformat=streamOptimized");
        Path otherRaw = rawDisk(tmp.resolve("src"), "other.raw", 1 << 20);
        Path disk2 = convert(otherRaw, "vmdk", tmp.resolve("src/disk2.vmdk"), "-o", "subformat=streamOptimized");
        byte[] ova = Archives.tar(
                file("box.ovf", OvfDescriptorTest.VMWARE_OVF),
                file("box-disk1.vmdk", read(disk1)),
                file("box-disk2.vmdk", read(disk2)));
        byte[] body = Archives.zip(file("export/box.ova", ova));

        GoldImage gold = store.obtain(ref(server.serve("/box.zip", body), body));

        assertEquals(2, gold.disks().size());
        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)), "disks in the OVF's DiskSection order");
        assertTrue(TestDisks.sameContent(otherRaw, gold.disks().get(1)));
        assertEquals("ubuntu64Guest", gold.profile().guestOs());
        assertEquals(2048, gold.profile().memoryMib());
        assertEquals(DiskBus.LSI, gold.profile().diskBus());
    }

    @Test
    void aHangarManifestDescribesADirectBootImage() throws Exception {
        byte[] kernel = "pretend this is a vmlinux".getBytes();
        byte[] initrd = "pretend this is an initramfs".getBytes();
        byte[] rootfs = new byte[1 << 20]; // an ext4-like raw file system: no partition table, no signature
        rootfs[1080] = 0x53;
        rootfs[1081] = (byte) 0xef;
        String manifest = """
                {"kernel": "boot/vmlinux", "initrd": "boot/initrd.img", "cmdline": "console=ttyS0 root=/dev/vda",
                 "disks": ["root.ext4"], "cpus": 1, "memory": "1.5gib", "nic": "virtio", "disk_bus": "virtio"}
                """;
        byte[] body = Archives.gzip(Archives.tar(
                file("image/hangar.json", manifest), file("image/boot/vmlinux", kernel),
                file("image/boot/initrd.img", initrd), file("image/root.ext4", rootfs)));

        GoldImage gold = store.obtain(ref(server.serve("/direct.tar.gz", body), body));

        assertArrayEquals(kernel, Files.readAllBytes(gold.kernel()));
        assertArrayEquals(initrd, Files.readAllBytes(gold.initrd()));
        assertTrue(gold.kernel().startsWith(gold.dir()));
        assertEquals(1, gold.disks().size());
        Path raw = tmp.resolve("rootfs.raw");
        Files.write(raw, rootfs);
        assertTrue(TestDisks.sameContent(raw, gold.disks().get(0)));
        assertEquals(new MachineProfile(1, 1536, null, NicModel.VIRTIO, DiskBus.VIRTIO, null, "console=ttyS0 root=/dev/vda"),
                gold.profile());
    }

    @Test
    void linksThatStayInsideTheImageAreKept() {
        byte[] disk = read(convert(sourceRaw, "qcow2", tmp.resolve("src/disk.qcow2")));
        Archives.Entry[] entries = {
                file("data/disk.qcow2", disk),
                symlink("disks/main.qcow2", "../data/disk.qcow2"),
                file("hangar.json", "{\"disks\": [\"disks/main.qcow2\"]}")};
        byte[] tar = Archives.tar(entries);
        // In a zip the link is only known from the central directory at the end, after it was written as a file.
        byte[] zip = Archives.zip(entries);

        GoldImage fromTar = store.obtain(ref(server.serve("/linked.tar", tar), tar));
        GoldImage fromZip = store.obtain(ref(server.serve("/linked.zip", zip), zip));

        assertTrue(TestDisks.sameContent(sourceRaw, fromTar.disks().get(0)));
        assertTrue(TestDisks.sameContent(sourceRaw, fromZip.disks().get(0)));
    }

    @Test
    void removeLeftoversDeletesOnlyWhatACrashLeft() throws Exception {
        byte[] body = vmwareBundle(VMX);
        GoldImage gold = store.obtain(ref(server.serve("/box.tar.gz", body), body));
        Path temp = Files.createDirectories(images.resolve(".tmp-12345/unpack/box.vmwarevm"));
        Files.writeString(temp.resolve("box.vmx"), VMX);
        Path halfDone = Files.createDirectories(images.resolve("sha256-" + "ab".repeat(32)));
        Files.writeString(halfDone.resolve("disk0.qcow2"), "partial");

        new GoldImageStore(images, LIMIT, HttpClient.newHttpClient()).removeLeftovers();

        try (Stream<Path> left = Files.list(images)) {
            assertEquals(List.of(gold.dir()), left.toList());
        }
        assertTrue(Files.isRegularFile(gold.disks().get(0)));
    }

    @Test
    void aGoldDirectoryWithoutGoldJsonIsNotUsed() throws Exception {
        byte[] body = vmwareBundle(VMX);
        ImageRef ref = ref(server.serve("/box.tar.gz", body), body);
        Path broken = Files.createDirectories(images.resolve(ref.cacheKey()));
        Files.writeString(broken.resolve("disk0.qcow2"), "not a disk");

        assertTrue(store.cached(ref).isEmpty());
        GoldImage gold = store.obtain(ref);

        assertEquals(1, server.requests());
        assertEquals("qcow2", QemuImg.format(gold.disks().get(0)));
        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)));
    }

    // ---- the VM library (--vm-lib) ----------------------------------------------------------------

    static final String LIBRARY_VM = "alpine-3.4.4";

    /** An operator's library: NAME.vmwarevm/{NAME.vmx, box.vmdk}, as the seed's plugin clones them. */
    Path library() {
        return tmp.resolve("vmlib");
    }

    Path libraryFolder(String name, String vmx) {
        Path folder = library().resolve(name + ".vmwarevm");
        TestDisks.write(folder.resolve(name + ".vmx"), vmx.getBytes());
        convert(sourceRaw, "vmdk", folder.resolve("box.vmdk"));
        return folder;
    }

    GoldImageStore libraryStore() {
        return new GoldImageStore(images, LIMIT, HttpClient.newHttpClient(), Download.DEFAULT_STALL_TIMEOUT, library());
    }

    HangarException libraryFailure(GoldImageStore s, String name) {
        return assertThrows(HangarException.class, () -> s.obtainFromLibrary(name));
    }

    /** Every file under dir with its size, modification time and content hash: what "unchanged" means. */
    static java.util.Map<String, String> snapshot(Path dir) throws Exception {
        java.util.Map<String, String> files = new java.util.TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                String what = Files.isDirectory(p) ? "dir " + Files.getLastModifiedTime(p)
                        : Files.size(p) + " " + Files.getLastModifiedTime(p) + " " + TestDisks.hex(ChecksumType.SHA256, read(p));
                files.put(dir.relativize(p).toString(), what);
            }
        }
        return files;
    }

    @Test
    void aLibraryFolderBecomesAGoldImageAndIsLeftAsItWas() throws Exception {
        Path folder = libraryFolder(LIBRARY_VM, VMX);
        var before = snapshot(library());

        GoldImage gold = libraryStore().obtainFromLibrary(LIBRARY_VM);

        assertTrue(gold.key().matches("lib-alpine-3\\.4\\.4-[0-9a-f]{16}"), gold.key());
        assertEquals(images.toRealPath().resolve(gold.key()), gold.dir());
        assertEquals(1, gold.disks().size());
        assertEquals("qcow2", QemuImg.format(gold.disks().get(0)));
        assertTrue(TestDisks.info(gold.disks().get(0)).path("backing-filename").isMissingNode(), "the gold disk stands alone");
        assertTrue(TestDisks.sameContent(sourceRaw, gold.disks().get(0)), "the gold disk holds what the vmdk held");
        assertEquals(new MachineProfile(2, 512, "other26xlinux-64", NicModel.VMXNET3, DiskBus.LSI, Firmware.BIOS, null),
                gold.profile(), "the .vmx's hardware, mapped as for a downloaded box");
        assertEquals(before, snapshot(library()), "the library folder is only read");
        try (Stream<Path> entries = Files.list(images)) {
            assertEquals(List.of(gold.dir()), entries.toList(), "only the published gold directory remains");
        }
        assertTrue(Files.readString(gold.dir().resolve("gold.json")).contains(folder.toRealPath().toUri().toString()),
                "gold.json says where the gold came from");
    }

    @Test
    void anUnchangedLibraryFolderIsACacheHitThatReadsNoDisk() throws Exception {
        Path folder = libraryFolder(LIBRARY_VM, VMX);
        GoldImage first = libraryStore().obtainFromLibrary(LIBRARY_VM);
        var published = snapshot(first.dir());
        // Garbage of the same size and time in place of the disk: only an import that reads it would notice.
        Path vmdk = folder.resolve("box.vmdk");
        var time = Files.getLastModifiedTime(vmdk);
        Files.write(vmdk, new byte[(int) Files.size(vmdk)]);
        Files.setLastModifiedTime(vmdk, time);

        GoldImage second = libraryStore().obtainFromLibrary(LIBRARY_VM); // a new store: as after a restart
        store = libraryStore();
        GoldImage third = store.obtainFromLibrary(LIBRARY_VM);

        assertEquals(first, second);
        assertEquals(first, third);
        published.remove("last-used");
        var after = snapshot(first.dir());
        after.remove("last-used"); // only the mark of its use changes
        assertEquals(published, after, "the gold directory was not written again");
        try (Stream<Path> entries = Files.list(images)) {
            assertEquals(1, entries.count());
        }
    }

    @Test
    void aChangedLibraryFolderIsImportedAgainUnderANewKeyAndTheOldGoldStays() throws Exception {
        Path folder = libraryFolder(LIBRARY_VM, VMX);
        store = libraryStore();
        GoldImage first = store.obtainFromLibrary(LIBRARY_VM);

        Files.writeString(folder.resolve(LIBRARY_VM + ".vmx"), VMX.replace("memsize = \"512\"", "memsize = \"1024\""));
        GoldImage second = store.obtainFromLibrary(LIBRARY_VM);
        // Only a time changes: VMware rewrites disks in place, keeping their size.
        Path vmdk = folder.resolve("box.vmdk");
        Files.setLastModifiedTime(vmdk, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(vmdk).toMillis() + 60_000));
        GoldImage third = store.obtainFromLibrary(LIBRARY_VM);

        assertNotEquals(first.key(), second.key());
        assertNotEquals(second.key(), third.key());
        assertEquals(512, first.profile().memoryMib());
        assertEquals(1024, second.profile().memoryMib(), "the new .vmx was read");
        assertTrue(Files.isRegularFile(first.disks().get(0)), "the old gold stays: clones use it as their backing file");
        assertEquals(third, store.obtainFromLibrary(LIBRARY_VM), "the folder as it is now");
        try (Stream<Path> entries = Files.list(images)) {
            assertEquals(3, entries.count());
        }
    }

    @Test
    void aLibraryVmThatIsNotThereIsNotFound() throws Exception {
        HangarException noLibrary = libraryFailure(store, LIBRARY_VM);
        assertEquals("library-vm-not-found", noLibrary.code());
        assertEquals(HangarException.Kind.NOT_FOUND, noLibrary.kind());
        assertTrue(noLibrary.getMessage().contains("--vm-lib"), noLibrary.getMessage());

        HangarException libraryGone = libraryFailure(libraryStore(), LIBRARY_VM);
        assertEquals("library-vm-not-found", libraryGone.code(), "the library directory does not exist");

        libraryFolder("other", VMX);
        HangarException noFolder = libraryFailure(libraryStore(), LIBRARY_VM);
        assertEquals("library-vm-not-found", noFolder.code());
        assertTrue(noFolder.getMessage().contains(LIBRARY_VM + ".vmwarevm"), noFolder.getMessage());

        // A folder of the name whose .vmx has another name.
        Path folder = Files.createDirectories(library().resolve(LIBRARY_VM + ".vmwarevm"));
        Files.writeString(folder.resolve("renamed.vmx"), VMX);
        convert(sourceRaw, "vmdk", folder.resolve("box.vmdk"));
        HangarException noVmx = libraryFailure(libraryStore(), LIBRARY_VM);
        assertEquals("library-vm-not-found", noVmx.code());
        assertTrue(noVmx.getMessage().contains(LIBRARY_VM + ".vmx"), noVmx.getMessage());

        assertEquals("invalid-library-name", libraryFailure(libraryStore(), "../vmlib/other").code());
        assertNothingCached();
    }

    @Test
    void aLibraryVmWhoseDisksLeadOutOfItsFolderIsRefused() throws Exception {
        Path folder = libraryFolder(LIBRARY_VM, VMX.replace("\"box.vmdk\"", "\"../outside.vmdk\""));
        convert(sourceRaw, "vmdk", library().resolve("outside.vmdk"));
        assertEquals("image-unsafe-archive", libraryFailure(libraryStore(), LIBRARY_VM).code(), "a name that climbs out");

        Files.writeString(folder.resolve(LIBRARY_VM + ".vmx"), VMX.replace("\"box.vmdk\"", "\"linked.vmdk\""));
        Files.createSymbolicLink(folder.resolve("linked.vmdk"), library().resolve("outside.vmdk"));
        assertEquals("image-unsafe-archive", libraryFailure(libraryStore(), LIBRARY_VM).code(), "a link that leads out");

        // A VMDK descriptor whose extent is a file beside the folder.
        Path flat = rawDisk(library(), "outside-flat.raw", 64 * 1024);
        Files.writeString(folder.resolve("descriptor.vmdk"), """
                # Disk DescriptorFile
                version=1
                CID=fffffffe
                parentCID=ffffffff
                createType="monolithicFlat"

                RW 128 FLAT "../%s" 0
                """.formatted(flat.getFileName()));
        Files.writeString(folder.resolve(LIBRARY_VM + ".vmx"), VMX.replace("\"box.vmdk\"", "\"descriptor.vmdk\""));
        assertEquals("image-unsafe-archive", libraryFailure(libraryStore(), LIBRARY_VM).code(), "an extent outside");
        assertNothingCached();
    }

    @Test
    void aLibraryVmWithAnUnusableDiskFailsAsABoxWould() throws Exception {
        Path folder = libraryFolder(LIBRARY_VM, VMX.replace("\"box.vmdk\"", "\"missing.vmdk\""));
        assertEquals("image-no-disk", libraryFailure(libraryStore(), LIBRARY_VM).code());

        Files.writeString(folder.resolve("missing.vmdk"), "no disk at all");
        assertEquals("image-format-unsupported", libraryFailure(libraryStore(), LIBRARY_VM).code());
        assertNothingCached();
    }

    @Test
    void removeLeftoversDeletesAHalfMadeLibraryGold() throws Exception {
        libraryFolder(LIBRARY_VM, VMX);
        GoldImage gold = libraryStore().obtainFromLibrary(LIBRARY_VM);
        Path halfDone = Files.createDirectories(images.resolve("lib-" + LIBRARY_VM + "-0123456789abcdef"));
        Files.writeString(halfDone.resolve("disk0.qcow2"), "partial");

        libraryStore().removeLeftovers();

        try (Stream<Path> left = Files.list(images)) {
            assertEquals(List.of(gold.dir()), left.toList());
        }
    }
}
