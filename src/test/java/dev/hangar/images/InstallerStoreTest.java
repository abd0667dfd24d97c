package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.Installer;
import dev.hangar.testing.ImageServer;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Installers from install trees, against a real HTTP server: both layouts, the cache and its validators. */
class InstallerStoreTest {
    static final String DEBIAN = "/ubuntu/dists/xenial/main/installer-amd64";
    static final String NETBOOT = DEBIAN + "/current/images/netboot/ubuntu-installer/amd64/";

    @TempDir Path tmp;
    ImageServer server;
    InstallerStore store;

    @BeforeEach
    void setUp() {
        server = new ImageServer();
        store = new InstallerStore(tmp.resolve("installers"), HttpClient.newHttpClient(), 64L << 20, Duration.ofSeconds(5));
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void findsTheDebianAndUbuntuNetbootLayoutBelowALocationEndingAtInstallerAmd64() throws Exception {
        server.serve(NETBOOT + "linux", bytes("kernel-1"));
        server.serve(NETBOOT + "initrd.gz", bytes("initrd-1"));
        Installer installer = store.fetch(server.url(DEBIAN));
        assertArrayEquals(bytes("kernel-1"), Files.readAllBytes(installer.kernel()));
        assertArrayEquals(bytes("initrd-1"), Files.readAllBytes(installer.initrd()));
        assertEquals(installer, store.fetch(server.url(DEBIAN + "/")), "a trailing slash names the same tree");
    }

    @Test
    void findsWhatATreeinfoNames() throws Exception {
        server.serve("/centos/7/os/x86_64/.treeinfo", bytes("""
                [general]
                family = CentOS
                [images-x86_64]
                kernel = isolinux/vmlinuz
                initrd = isolinux/initrd.img
                """));
        server.serve("/centos/7/os/x86_64/isolinux/vmlinuz", bytes("rpm-kernel"));
        server.serve("/centos/7/os/x86_64/isolinux/initrd.img", bytes("rpm-initrd"));
        Installer installer = store.fetch(server.url("/centos/7/os/x86_64"));
        assertArrayEquals(bytes("rpm-kernel"), Files.readAllBytes(installer.kernel()));
        assertArrayEquals(bytes("rpm-initrd"), Files.readAllBytes(installer.initrd()));
    }

    @Test
    void aCachedInstallerIsRevalidatedNotDownloadedAgainAndAChangedOneIsFetchedAnew() throws Exception {
        server.serve(NETBOOT + "linux", bytes("kernel-1"));
        server.serve(NETBOOT + "initrd.gz", bytes("initrd-1"));
        store.fetch(server.url(DEBIAN));
        store.fetch(server.url(DEBIAN));
        assertEquals(2, server.hits(NETBOOT + "linux"), "asked twice");
        assertEquals(1, server.fullAnswers(NETBOOT + "linux"), "downloaded once: the second answer was 304");

        server.serve(NETBOOT + "linux", bytes("kernel-2"));
        Installer updated = store.fetch(server.url(DEBIAN));
        assertArrayEquals(bytes("kernel-2"), Files.readAllBytes(updated.kernel()));
        assertEquals(1, server.fullAnswers(NETBOOT + "initrd.gz"));
    }

    @Test
    void theCachedCopyServesWhenTheMirrorIsGone() throws Exception {
        server.serve(NETBOOT + "linux", bytes("kernel-1"));
        server.serve(NETBOOT + "initrd.gz", bytes("initrd-1"));
        String location = server.url(DEBIAN);
        store.fetch(location);
        server.close();
        assertArrayEquals(bytes("kernel-1"), Files.readAllBytes(store.fetch(location).kernel()));
    }

    @Test
    void aTreeWithoutAnInstallerIsAClearFailure() {
        HangarException e = assertThrows(HangarException.class, () -> store.fetch(server.url("/empty/tree")));
        assertEquals("installer-download-failed", e.code());
        assertTrue(e.getMessage().contains("debian-installer/amd64/linux"), e.getMessage());
        HangarException closed = assertThrows(HangarException.class, () -> store.fetch("http://127.0.0.1:9/tree"));
        assertEquals("installer-download-failed", closed.code());
    }

    @Test
    void aTreeinfoThatPointsOutsideTheTreeIsRefused() {
        server.serve("/evil/.treeinfo", bytes("[images-x86_64]\nkernel = ../../etc/passwd\ninitrd = x\n"));
        assertEquals("installer-download-failed", assertThrows(HangarException.class, () -> store.fetch(server.url("/evil"))).code());
    }

    @Test
    void aDownloadThatFailsHalfWayLeavesNoPartialFile() throws Exception {
        InstallerStore capped = new InstallerStore(tmp.resolve("capped"), HttpClient.newHttpClient(), 1024, Duration.ofSeconds(5));
        // Chunked, so the cap is found only after the first KiB was written.
        server.serve(NETBOOT + "linux", () -> new java.io.ByteArrayInputStream(new byte[64 << 10]));
        server.serve(NETBOOT + "initrd.gz", bytes("initrd-1"));
        assertEquals("installer-download-failed", assertThrows(HangarException.class, () -> capped.fetch(server.url(DEBIAN))).code());
        assertEquals(java.util.List.of(), partials(tmp.resolve("capped")), "nothing half-written is left");
    }

    @Test
    void whatACrashLeftHalfWrittenIsRemovedAtStartAndTheCacheStays() throws Exception {
        server.serve(NETBOOT + "linux", bytes("kernel-1"));
        server.serve(NETBOOT + "initrd.gz", bytes("initrd-1"));
        Installer installer = store.fetch(server.url(DEBIAN));
        // A kill in the middle of a download (or of its validator) leaves these beside the cached files.
        Files.writeString(installer.kernel().resolveSibling("file.tmp"), "half a kernel");
        Files.writeString(installer.kernel().resolveSibling("validator.properties.tmp"), "etag=");
        store.removeLeftovers();
        assertEquals(java.util.List.of(), partials(tmp.resolve("installers")));
        assertEquals(installer, store.fetch(server.url(DEBIAN)));
        assertEquals(1, server.fullAnswers(NETBOOT + "linux"), "the cached kernel stayed and was only revalidated");
    }

    private static java.util.List<Path> partials(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) return java.util.List.of();
        try (var walk = Files.walk(dir)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }
}
