package dev.hangar.builds.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.hangar.core.HangarException;
import dev.hangar.core.builds.ImageTemplate.InstallType;
import dev.hangar.core.builds.ImageTemplate.Os;
import dev.hangar.core.builds.ImageTemplate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the builder takes on, how it names its sources and packages, and how a build fails or is cancelled. */
class DebianImageBuilderTest {
    private static final String ARCHIVE = "http://deb.debian.org/debian";

    @TempDir
    Path dir;

    private static Os os(String name, String version, String arch, InstallType type, String location) {
        return new Os(name, version, arch, type, location, "secret");
    }

    @Test
    void debianElevenToThirteenAndSidOnX8664FromAnArchiveAreBuilt() {
        for (String version : List.of("11", "bullseye", "12", "bookworm", "13", "trixie", "sid", "unstable", "12.7")) {
            assertEquals(Optional.empty(), DebianImageBuilder.unsupported(os("Debian", version, "x86_64", InstallType.URL, ARCHIVE)), version);
        }
        assertEquals(Optional.empty(), DebianImageBuilder.unsupported(os("debian", "12", "amd64", InstallType.URL, ARCHIVE)));
        assertEquals(Optional.empty(), DebianImageBuilder.unsupported(os("Debian", "12", "x86_64", InstallType.URL, null)),
                "no install url: the host's apt sources");
    }

    @Test
    void everythingElseIsRefusedInOneLineThatSaysWhy() {
        assertEquals("only Debian images are built here (11 (bullseye), 12 (bookworm), 13 (trixie) or sid (unstable)), not Fedora 14",
                DebianImageBuilder.unsupported(os("Fedora", "14", "x86_64", InstallType.URL, "http://example.org/fedora")).orElseThrow());
        assertTrue(DebianImageBuilder.unsupported(os("Windows", "2019", "x86_64", InstallType.ISO, "http://example.org/w.iso"))
                .orElseThrow().startsWith("only Debian images are built here"));
        assertTrue(DebianImageBuilder.unsupported(os("Ubuntu", "jammy", "x86_64", InstallType.URL, "http://archive.ubuntu.com/ubuntu"))
                .orElseThrow().endsWith("not Ubuntu jammy"));
        assertEquals("Debian 10 is not built here: the version must be 11 (bullseye), 12 (bookworm), 13 (trixie) or sid (unstable)",
                DebianImageBuilder.unsupported(os("Debian", "10", "x86_64", InstallType.URL, ARCHIVE)).orElseThrow());
        assertEquals("only x86_64 (amd64) images are built here, not i386",
                DebianImageBuilder.unsupported(os("Debian", "12", "i386", InstallType.URL, ARCHIVE)).orElseThrow());
        assertEquals("only x86_64 (amd64) images are built here, not aarch64",
                DebianImageBuilder.unsupported(os("Debian", "12", "aarch64", InstallType.URL, ARCHIVE)).orElseThrow());
        assertTrue(DebianImageBuilder.unsupported(os("Debian", "12", "x86_64", InstallType.ISO, "http://example.org/debian.iso"))
                .orElseThrow().startsWith("Debian is built here from an apt archive, not an ISO"));
        assertEquals("the template names no OS", DebianImageBuilder.unsupported(null).orElseThrow());
        for (Os refused : List.of(os("Fedora", "14", "x86_64", InstallType.URL, "http://x/"), os("Debian", "9", "x86_64", InstallType.URL, ARCHIVE))) {
            assertFalse(DebianImageBuilder.unsupported(refused).orElseThrow().contains("\n"));
        }
    }

    @Test
    void thisHostCanBuild() {
        // root and the tools scripts/install-deps installs; a host without them says which is missing
        assertEquals(Optional.empty(), DebianImageBuilder.hostCannotBuild());
    }

    @Test
    void anUnbuildableTemplateFailsAtOnceAndLeavesNothing() {
        ImageTemplate fedora = template(os("Fedora", "14", "x86_64", InstallType.URL, "http://example.org/fedora"), List.of(), List.of());
        HangarException e = assertThrows(HangarException.class,
                () -> new DebianImageBuilder(null).build(fedora, dir.resolve("out.raw"), dir.resolve("work"), Processes.NEVER_CANCELLED));
        assertEquals("build-failed", e.code());
        assertTrue(e.getMessage().startsWith("only Debian images are built here"));
        assertFalse(Files.exists(dir.resolve("out.raw")));
        assertFalse(Files.exists(dir.resolve("work")));
    }

    @Test
    void theHostNameComesFromTheTemplatesName() {
        assertEquals("web-server-1", DebianImageBuilder.hostname("Web Server #1"));
        assertEquals("debian", DebianImageBuilder.hostname("***"));
        assertEquals("a".repeat(63), DebianImageBuilder.hostname("a".repeat(70)));
        assertEquals("x", DebianImageBuilder.hostname("x" + "-".repeat(62) + "y"));
    }

    @Test
    void theArchiveIsTheInstallUrlOrTheArchiveAroundAnInstallerTree() {
        assertEquals(URI.create(ARCHIVE), Mmdebstrap.archiveRoot(" http://deb.debian.org/debian "));
        assertEquals(URI.create("http://ftp.de.debian.org/debian"),
                Mmdebstrap.archiveRoot("http://ftp.de.debian.org/debian/dists/bookworm/main/installer-amd64/"));
        HangarException e = assertThrows(HangarException.class, () -> Mmdebstrap.archiveRoot("ftp://ftp.debian.org/debian"));
        assertEquals("build-failed", e.code());
    }

    @Test
    void withoutAnInstallUrlTheHostsDebianSourceIsUsed() throws IOException {
        Path apt = Files.createDirectories(dir.resolve("apt/sources.list.d"));
        Files.writeString(apt.resolve("debian.sources"), """
                Types: deb
                # a snapshot, commented out
                URIs: http://deb.debian.org/debian-security
                Suites: bookworm-security
                Components: main

                Types: deb
                URIs: http://mirror.example.org/debian
                Suites: bookworm bookworm-updates
                Components: main
                """);
        Files.writeString(apt.resolve("google.list"), "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n");
        DebianImageBuilder builder = new DebianImageBuilder(null, dir.resolve("apt"));
        assertEquals(URI.create("http://mirror.example.org/debian"), builder.archiveFor(os("Debian", "12", "x86_64", InstallType.URL, null)));
        assertEquals(URI.create(ARCHIVE), builder.archiveFor(os("Debian", "12", "x86_64", InstallType.URL, ARCHIVE)), "a template's url wins");

        assertEquals(Optional.of(URI.create("http://ftp.uk.debian.org/debian")), HostAptSources.fromOneLine(List.of(
                "# deb http://old.example.org/debian bookworm main",
                "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main",
                "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://ftp.uk.debian.org/debian trixie main")));

        Files.delete(apt.resolve("debian.sources"));
        HangarException e = assertThrows(HangarException.class, () -> builder.archiveFor(os("Debian", "12", "x86_64", InstallType.URL, null)));
        assertTrue(e.getMessage().contains("name no Debian archive"), e.getMessage());
    }

    @Test
    void repositoriesBecomeOneLineSources() {
        DebianRelease bookworm = DebianRelease.of("12").orElseThrow();
        assertEquals("deb [trusted=yes] http://repo.example.org/debian bookworm main",
                Mmdebstrap.sourceLine(new ImageTemplate.Repository("ours", "http://repo.example.org/debian", false), bookworm));
        assertEquals("deb http://deb.debian.org/debian bookworm-backports main contrib",
                Mmdebstrap.sourceLine(new ImageTemplate.Repository("bpo", "http://deb.debian.org/debian  bookworm-backports main contrib", true), bookworm));
        assertThrows(HangarException.class,
                () -> Mmdebstrap.sourceLine(new ImageTemplate.Repository("x", "http://a/ bookworm main\ndeb http://evil/ x y", true), bookworm));
        assertThrows(HangarException.class, () -> Mmdebstrap.sourceLine(new ImageTemplate.Repository("x", "file:/srv/repo", true), bookworm));
    }

    @Test
    void packagesAreTheBaseThenTheTemplatesEachOnceAndNeverAListInDisguise() {
        URI http = URI.create(ARCHIVE);
        assertEquals(List.of("linux-image-amd64", "initramfs-tools", "systemd-sysv", "udev", "ifupdown", "isc-dhcp-client", "busybox", "nginx=1.22.1-9"),
                Mmdebstrap.packages(List.of("busybox", "udev", "nginx=1.22.1-9"), http, List.of()));
        assertTrue(Mmdebstrap.packages(List.of(), URI.create("https://deb.debian.org/debian"), List.of()).contains("ca-certificates"));
        assertTrue(Mmdebstrap.packages(List.of(), http, List.of(new ImageTemplate.Repository("r", "HTTPS://repo.example.org/d", true)))
                .contains("ca-certificates"));
        assertFalse(Mmdebstrap.packages(List.of(), http, List.of()).contains("ca-certificates"));
        for (String sneaky : List.of("a,b", "a b", "--allow-unauthenticated", "")) {
            assertThrows(HangarException.class, () -> Mmdebstrap.packages(List.of(sneaky), http, List.of()), sneaky);
        }
    }

    @Test
    void mmdebstrapGetsAnArgumentListWithTheProxyTheSetupTreeAndTheSources() {
        Path setup = Path.of("/var/lib/hangar/builds/it's/setup");
        List<String> argv = Mmdebstrap.argv(DebianRelease.of("trixie").orElseThrow(), URI.create(ARCHIVE),
                List.of(new ImageTemplate.Repository("ours", "http://repo.example.org/debian", false)), List.of("busybox"),
                URI.create("http://127.0.0.1:3142"), setup, Path.of("/work/root"));
        assertEquals(List.of("unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "mmdebstrap"), argv.subList(0, 8));
        assertTrue(argv.contains("--variant=minbase"));
        assertTrue(argv.contains("--include=linux-image-amd64,initramfs-tools,systemd-sysv,udev,ifupdown,isc-dhcp-client,busybox"));
        // mmdebstrap splits special hooks with Perl's shellwords: the quote in the path is escaped for it
        assertTrue(argv.contains("--setup-hook=sync-in '/var/lib/hangar/builds/it'\\''s/setup' /"), argv.toString());
        assertTrue(argv.contains("--aptopt=Acquire::http::Proxy \"http://127.0.0.1:3142\""));
        assertEquals(List.of("trixie", "/work/root", ARCHIVE, "deb [trusted=yes] http://repo.example.org/debian trixie main"),
                argv.subList(argv.size() - 4, argv.size()));
        assertTrue(Mmdebstrap.argv(DebianRelease.of("12").orElseThrow(), URI.create(ARCHIVE), List.of(), List.of(), null, setup,
                Path.of("/r")).stream().noneMatch(a -> a.contains("Proxy")), "no proxy, no proxy setting");
        assertThrows(IllegalArgumentException.class, () -> new DebianImageBuilder(URI.create("socks5://127.0.0.1:1080")));
    }

    @Test
    void theInitramfsSettingsGoInBeforeTheKernel() throws IOException {
        Path tree = InitramfsSettings.writeTree(dir.resolve("setup"));
        assertTrue(Files.readString(tree.resolve("etc/initramfs-tools/conf.d/hangar")).contains("\nMODULES=list\n"));
        Path hook = tree.resolve("etc/initramfs-tools/hooks/hangar-virtual-disks");
        assertTrue(Files.isExecutable(hook));
        assertTrue(Files.readString(hook).contains("manual_add_modules virtio_pci virtio_blk virtio_scsi sd_mod ahci"));
        assertTrue(Files.readString(hook).contains("\nmanual_add_modules virtio_net e1000 "), "the NIC is there before systemd starts");
        assertTrue(Files.readString(hook).contains("\nforce_load ext4\n"));
    }

    @Test
    void anArchiveThatFailsEndsTheBuildWithAptsWordsAndLeavesNothing() throws IOException {
        HttpServer archive = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        archive.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        archive.start();
        try {
            String url = "http://127.0.0.1:" + archive.getAddress().getPort() + "/debian";
            Path work = dir.resolve("work");
            HangarException e = assertThrows(HangarException.class, () -> new DebianImageBuilder(null).build(
                    template(os("Debian", "12", "x86_64", InstallType.URL, url), List.of(), List.of()), dir.resolve("out.raw"), work,
                    Processes.NEVER_CANCELLED));
            assertEquals("build-failed", e.code());
            assertTrue(e.getMessage().startsWith("mmdebstrap failed (exit "), e.getMessage());
            assertTrue(e.getMessage().contains("E: The repository '" + url + " bookworm Release' does not have a Release file."),
                    "apt's own words: " + e.getMessage());
            assertFalse(Files.exists(dir.resolve("out.raw")));
            assertFalse(Processes.anyMountUnder(work));
        } finally {
            archive.stop(0);
        }
    }

    @Test
    void cancellingWhileMmdebstrapWaitsOnTheArchiveEndsItAndLeavesNothing() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // an archive that takes connections and never answers: apt waits
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) held.add(silent.accept());
                } catch (IOException closed) {
                    // the test is over
                }
            });
            Path work = dir.resolve("work");
            AtomicBoolean waiting = new AtomicBoolean();
            var progress = new dev.hangar.core.builds.BuildProgress() {
                @Override
                public void report(int percent, String activity) {
                    if (activity.equals("fetching the package lists")) waiting.set(true);
                }

                @Override
                public boolean cancelled() {
                    return waiting.get() && !held.isEmpty();
                }
            };
            long start = System.nanoTime();
            HangarException e = assertThrows(HangarException.class, () -> new DebianImageBuilder(null).build(
                    template(os("Debian", "12", "x86_64", InstallType.URL, "http://127.0.0.1:" + silent.getLocalPort() + "/debian"), List.of(), List.of()),
                    dir.resolve("out.raw"), work, progress));
            assertEquals("build-cancelled", e.code());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(60).toNanos());
            assertTrue(Processes.goneWithin(work.toString(), Duration.ofSeconds(10)), "mmdebstrap and apt are gone");
            assertFalse(Processes.anyMountUnder(work));
            assertFalse(Files.exists(dir.resolve("out.raw")));
        } finally {
            for (Socket s : held) s.close();
        }
    }

    private static ImageTemplate template(Os os, List<ImageTemplate.TemplateFile> files, List<ImageTemplate.TemplateCommand> commands) {
        return new ImageTemplate("test", null, os, List.of(), files, commands, List.of(), null);
    }
}
