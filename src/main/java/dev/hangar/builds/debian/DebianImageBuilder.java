package dev.hangar.builds.debian;

import dev.hangar.core.HangarException;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.builds.BaseImageBuilder;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ImageTemplate.Os;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.outbound.OutboundRefusedException;
import dev.hangar.process.Privileges;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds Debian base images without a VM, loop device or mount: mmdebstrap makes the root file system
 * from the archive, the template's files and commands go in from inside that root (chroot, in
 * namespaces of their own: see NewRoot), and BootDisk turns the directory into a raw MBR disk that boots
 * by firmware through syslinux. Needs root (mmdebstrap's root mode, chroot) and Debian's mmdebstrap,
 * syslinux, mtools, dosfstools, fdisk and e2fsprogs.
 *
 * <p>Only Debian itself (11, 12, 13, sid) on x86_64 is built here; Ubuntu and other systems of the
 * family need their own kernel and network packages and keyrings, and are refused with that reason.
 */
public final class DebianImageBuilder implements BaseImageBuilder {
    private static final Logger log = LoggerFactory.getLogger(DebianImageBuilder.class);

    /**
     * 2 GiB: the minimal system takes about 650 MiB, which leaves room for packages and logs; the raw
     * file is sparse and its targets (qcow2, vmdk) hold only what is used, so a larger default would only
     * slow copies of the raw disk. A template asks for more with its disk size.
     */
    public static final long DEFAULT_DISK_GIB = 2;
    private static final Duration MMDEBSTRAP_TIMEOUT = Duration.ofMinutes(60);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(30);
    private static final List<String> HOST_TOOLS =
            List.of("mmdebstrap", "unshare", "chroot", "sfdisk", "mkfs.vfat", "mkfs.ext4", "syslinux", "mcopy", "cp", "env");
    private static final String POLICY_RC_D = "/usr/sbin/policy-rc.d";

    private final URI aptProxy;
    private final Path hostApt;
    /** Fetches a template's files given by URL: Hangar's outbound client, which checks every hop against its policy. */
    private final HttpClient http;

    /**
     * aptProxy: an HTTP proxy apt fetches packages through (Acquire::http::Proxy and ::https::Proxy),
     * or null for direct access. Used during the build only; the image keeps no proxy setting.
     */
    public DebianImageBuilder(URI aptProxy, HttpClient http) {
        this(aptProxy, Path.of("/etc/apt"), http);
    }

    /** For tests: files by URL through a JDK client of its own, which follows redirects itself and knows no outbound policy. */
    public DebianImageBuilder(URI aptProxy) {
        this(aptProxy, Path.of("/etc/apt"));
    }

    DebianImageBuilder(URI aptProxy, Path hostApt) {
        this(aptProxy, hostApt, HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build());
    }

    /** hostApt: the host's apt settings directory, read for the archive when a template names none. */
    DebianImageBuilder(URI aptProxy, Path hostApt, HttpClient http) {
        this.http = http;
        if (aptProxy != null && (!"http".equals(aptProxy.getScheme()) || aptProxy.getHost() == null)) {
            throw new IllegalArgumentException("the apt proxy must be an http:// URL, not " + aptProxy);
        }
        this.aptProxy = aptProxy;
        this.hostApt = hostApt;
    }

    @Override
    public Optional<String> cannotBuild(Os os) {
        return unsupported(os).or(DebianImageBuilder::hostCannotBuild);
    }

    /** Why this OS is not one this builder makes (the template's side only); empty when it is. */
    static Optional<String> unsupported(Os os) {
        if (os == null || os.name() == null) return Optional.of("the template names no OS");
        if (!os.name().strip().equalsIgnoreCase("debian")) {
            return Optional.of("only Debian images are built here (" + DebianRelease.accepted() + "), not " + os.name().strip()
                    + (os.version() == null ? "" : " " + os.version().strip()));
        }
        if (DebianRelease.of(os.version()).isEmpty()) {
            return Optional.of("Debian " + os.version() + " is not built here: the version must be " + DebianRelease.accepted());
        }
        String arch = os.arch() == null ? "" : os.arch().strip().toLowerCase(Locale.ROOT);
        if (!arch.equals("x86_64") && !arch.equals("amd64")) {
            return Optional.of("only x86_64 (amd64) images are built here, not " + os.arch());
        }
        if (os.installType() == ImageTemplate.InstallType.ISO) {
            return Optional.of("Debian is built here from an apt archive, not an ISO: give <install type='url'> with the archive's URL"
                    + " (e.g. http://deb.debian.org/debian)");
        }
        return Optional.empty();
    }

    /** What this host lacks to build at all: root, and the tools. Quick: looks at files only. */
    static Optional<String> hostCannotBuild() {
        if (!Privileges.root()) return Optional.of("building Debian images needs Hangar to run as root (mmdebstrap's root mode, chroot)");
        for (String tool : HOST_TOOLS) {
            if (!onPath(tool)) return Optional.of("building Debian images needs " + tool + " on this host (scripts/install-deps installs it)");
        }
        for (Path file : List.of(BootDisk.MBR_CODE, BootDisk.LDLINUX_C32)) {
            if (!Files.isRegularFile(file)) return Optional.of("building Debian images needs " + file + " (packages syslinux, syslinux-common)");
        }
        return Optional.empty();
    }

    @Override
    public void build(ImageTemplate template, Path output, Path workDir, BuildProgress progress) {
        Optional<String> refusal = cannotBuild(template.os());
        if (refusal.isPresent()) throw BuildFailures.failed(refusal.get());
        long started = System.nanoTime();
        DebianRelease release = DebianRelease.of(template.os().version()).orElseThrow();
        long diskGib = template.diskSizeGib() == null ? DEFAULT_DISK_GIB : template.diskSizeGib();
        BootDisk.Layout layout = new BootDisk.Layout(diskGib * 1024 * BootDisk.MIB);
        UUID rootUuid = UUID.randomUUID();
        try {
            Files.createDirectories(workDir);
            NewRoot root = new NewRoot(workDir.resolve("root"));
            progress.report(0, "starting");
            makeRootFileSystem(template, release, root, workDir, progress);

            progress.report(75, "configuring the system");
            writeSystemSettings(root, hostname(template.name()), rootUuid, progress);
            boolean templateWritesPolicy = template.files().stream().anyMatch(f -> f.path().equals(POLICY_RC_D));
            writeFiles(template.files(), root, workDir, progress);
            runCommands(template.commands(), root, progress);
            if (!template.files().isEmpty() || !template.commands().isEmpty()) {
                progress.report(86, "updating the initramfs");
                // the template's files and commands may have changed what goes into it (modules, hooks, packages)
                root.program("update-initramfs", "update-initramfs", "-u", "-k", "all").timeout(STEP_TIMEOUT).run(progress);
            }
            progress.report(88, "setting the root password");
            setRootPassword(template.os().rootPassword(), root, progress);
            cleanUp(root, templateWritesPolicy, workDir, progress);

            String kernelVersion = newestKernel(root, workDir, progress);
            Path kernel = workDir.resolve("vmlinuz");
            Path initrd = workDir.resolve("initrd.img");
            root.program("copying the kernel", "cat", "--", "/boot/vmlinuz-" + kernelVersion).outputFile(kernel).timeout(STEP_TIMEOUT).run(progress);
            root.program("copying the initramfs", "cat", "--", "/boot/initrd.img-" + kernelVersion).outputFile(initrd).timeout(STEP_TIMEOUT).run(progress);

            Path disk = workDir.resolve("disk.raw");
            BootDisk.make(disk, layout, root.dir(), rootUuid, kernel, initrd, workDir, progress,
                    (percent, activity) -> progress.report(89 + percent * 10 / 100, activity));
            if (progress.cancelled()) throw BuildFailures.cancelled();
            moveIntoPlace(disk, output, progress);
            progress.report(100, "done");
            log.info("built Debian {} ({} GiB disk, kernel {}) in {} s", release.codename(), diskGib, kernelVersion,
                    (System.nanoTime() - started) / 1_000_000_000);
        } catch (IOException e) {
            throw BuildFailures.failed("the build could not write its files: " + e.getMessage(), e);
        }
    }

    private void makeRootFileSystem(ImageTemplate template, DebianRelease release, NewRoot root, Path workDir, BuildProgress progress)
            throws IOException {
        URI archive = archiveFor(template.os());
        Path setupTree = InitramfsSettings.writeTree(workDir.resolve("setup"));
        MmdebstrapProgress mmdebstrap = new MmdebstrapProgress();
        progress.report(1, "starting mmdebstrap (" + release.codename() + " from " + archive + ")");
        int[] reported = {0};
        new BuildProcess("mmdebstrap", Mmdebstrap.argv(release, archive, template.repositories(), template.packages(), aptProxy,
                setupTree, root.dir()))
                .timeout(MMDEBSTRAP_TIMEOUT)
                .onLine(mmdebstrap::read)
                .onPoll(() -> {
                    MmdebstrapProgress.Position at = mmdebstrap.position();
                    if (at.percent() > reported[0]) {
                        reported[0] = at.percent();
                        progress.report(1 + at.percent() * 74 / 100, at.activity());
                    }
                })
                .run(progress);
    }

    /** The template's install url, else the Debian archive of the host's apt sources. */
    URI archiveFor(Os os) {
        if (os.installLocation() != null && !os.installLocation().isBlank()) return Mmdebstrap.archiveRoot(os.installLocation());
        return HostAptSources.debianArchive(hostApt).orElseThrow(() -> BuildFailures.failed(
                "the template gives no install url and the host's apt sources (" + hostApt + ") name no Debian archive"));
    }

    /**
     * Before the template's own files and commands, so that a template can replace any of these: the
     * host name, /etc/hosts, the root in fstab, DHCP on eth0, and a policy-rc.d that keeps packages a
     * command installs from starting their daemons here.
     */
    private static void writeSystemSettings(NewRoot root, String hostname, UUID rootUuid, BuildProgress progress) {
        root.write("/etc/hostname", hostname + "\n", null, progress);
        root.write("/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t" + hostname + "\n"
                + "::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n", null, progress);
        root.write("/etc/fstab", "# Written by Hangar's image builder: the root file system by its UUID\n"
                + "UUID=" + rootUuid + "\t/\text4\terrors=remount-ro\t0\t1\n", null, progress);
        root.write("/etc/network/interfaces", "# Written by Hangar's image builder: DHCP (address, router and DNS) on the first NIC,\n"
                + "# named eth0 by net.ifnames=0 on the kernel's command line.\n"
                + "source /etc/network/interfaces.d/*\n\n"
                + "auto lo\niface lo inet loopback\n\n"
                + "allow-hotplug eth0\niface eth0 inet dhcp\n", null, progress);
        root.write(POLICY_RC_D, "#!/bin/sh\n# Hangar's image build: no daemon starts inside the build's root\nexit 101\n", "0755", progress);
    }

    private void writeFiles(List<ImageTemplate.TemplateFile> files, NewRoot root, Path workDir, BuildProgress progress) throws IOException {
        for (int i = 0; i < files.size(); i++) {
            ImageTemplate.TemplateFile file = files.get(i);
            progress.report(76 + 3 * i / files.size(), "writing " + file.path());
            switch (file.encoding()) {
                case RAW -> root.write(file.path(), file.content(), null, progress);
                case BASE64 -> root.write(file.path(), decodeBase64(file), null, progress);
                case URL -> {
                    Path downloaded = workDir.resolve("download-" + i);
                    download(file, downloaded, progress);
                    root.writeFrom(file.path(), downloaded, progress);
                    Files.deleteIfExists(downloaded);
                }
            }
        }
    }

    private static byte[] decodeBase64(ImageTemplate.TemplateFile file) {
        try {
            return Base64.getMimeDecoder().decode(file.content().strip());
        } catch (IllegalArgumentException e) {
            throw BuildFailures.failed("file " + file.path() + " is not valid base64: " + e.getMessage());
        }
    }

    /** Fetches a file's URL with Java's HttpClient (the JVM's proxy settings apply, not apt's), cancellable. */
    private void download(ImageTemplate.TemplateFile file, Path to, BuildProgress progress) {
        URI url = Mmdebstrap.httpUri(file.content().strip(), "file " + file.path() + "'s url");
        CompletableFuture<HttpResponse<Path>> response = http.sendAsync(
                HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(2)).GET().build(), HttpResponse.BodyHandlers.ofFile(to));
        long deadline = System.nanoTime() + DOWNLOAD_TIMEOUT.toNanos();
        while (true) {
            try {
                HttpResponse<Path> answer = response.get(200, TimeUnit.MILLISECONDS);
                if (answer.statusCode() / 100 != 2) {
                    throw BuildFailures.failed("file " + file.path() + ": " + url + " answered HTTP " + answer.statusCode());
                }
                return;
            } catch (TimeoutException stillComing) {
                if (progress.cancelled()) {
                    response.cancel(true);
                    throw BuildFailures.cancelled();
                }
                if (System.nanoTime() > deadline) {
                    response.cancel(true);
                    throw BuildFailures.failed("file " + file.path() + ": " + url + " did not arrive within " + DOWNLOAD_TIMEOUT.toMinutes() + " minutes");
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (cause instanceof OutboundRefusedException refused) {
                    throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "file " + file.path() + ": " + url + " is not fetched: " + refused.getMessage());
                }
                throw BuildFailures.failed("file " + file.path() + ": cannot fetch " + url + ": " + cause, cause);
            } catch (InterruptedException e) {
                response.cancel(true);
                Thread.currentThread().interrupt();
                throw BuildFailures.failed("the build was interrupted (Hangar is stopping)");
            }
        }
    }

    private static void runCommands(List<ImageTemplate.TemplateCommand> commands, NewRoot root, BuildProgress progress) {
        for (int i = 0; i < commands.size(); i++) {
            ImageTemplate.TemplateCommand command = commands.get(i);
            String what = "command " + (i + 1) + (command.name() == null || command.name().isBlank() ? "" : " (" + command.name() + ")");
            progress.report(79 + 7 * i / commands.size(), "running " + what);
            root.shell(what, command.text()).timeout(COMMAND_TIMEOUT).run(progress);
        }
    }

    /** TDL's rootpw through chpasswd on stdin; without one, root stays locked (Debian's default). */
    private static void setRootPassword(String password, NewRoot root, BuildProgress progress) {
        if (password == null || password.isEmpty()) return;
        if (password.indexOf('\n') >= 0 || password.indexOf('\r') >= 0 || password.indexOf('\0') >= 0) {
            throw BuildFailures.failed("the root password (rootpw) cannot hold a line break or NUL");
        }
        root.program("setting the root password", "chpasswd").input(("root:" + password + "\n").getBytes(StandardCharsets.UTF_8))
                .timeout(STEP_TIMEOUT).run(progress);
    }

    /**
     * Takes out what only the build needed: mmdebstrap's apt and dpkg settings (the proxy, unsafe I/O),
     * our policy-rc.d, and the host's resolv.conf that mmdebstrap copied in (DHCP writes the guest's own),
     * unless the template replaced it.
     */
    private static void cleanUp(NewRoot root, boolean templateWritesPolicy, Path workDir, BuildProgress progress) throws IOException {
        root.program("cleaning up", "rm", "-f", "--", "/etc/apt/apt.conf.d/99mmdebstrap", "/etc/dpkg/dpkg.cfg.d/99mmdebstrap")
                .timeout(STEP_TIMEOUT).run(progress);
        if (!templateWritesPolicy) root.program("cleaning up", "rm", "-f", "--", POLICY_RC_D).timeout(STEP_TIMEOUT).run(progress);
        Path hostResolvConf = Path.of("/etc/resolv.conf");
        Path rootResolvConf = workDir.resolve("resolv.conf");
        root.program("reading resolv.conf", "/bin/sh", "-c", "cat /etc/resolv.conf 2>/dev/null || true").outputFile(rootResolvConf)
                .timeout(STEP_TIMEOUT).run(progress);
        if (Files.isReadable(hostResolvConf) && Arrays.equals(Files.readAllBytes(hostResolvConf), Files.readAllBytes(rootResolvConf))) {
            root.program("cleaning up", "rm", "-f", "--", "/etc/resolv.conf").timeout(STEP_TIMEOUT).run(progress);
        }
    }

    /** The newest kernel installed in the root, as Debian's own linux-version sorts them. */
    private static String newestKernel(NewRoot root, Path workDir, BuildProgress progress) throws IOException {
        Path listed = workDir.resolve("kernel-version");
        root.program("finding the kernel", "/bin/sh", "-c", "linux-version list | linux-version sort | tail -n 1").outputFile(listed)
                .timeout(STEP_TIMEOUT).run(progress);
        String version = Files.readString(listed).strip();
        if (!version.matches("[A-Za-z0-9._+~-]+")) throw BuildFailures.failed("no kernel was installed in the new system (linux-image-amd64)");
        return version;
    }

    /** The template's name as a host name (RFC 1123 label): lowercase, other characters as '-', "debian" if none is left. */
    static String hostname(String templateName) {
        String name = templateName == null ? "" : templateName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        if (name.length() > 63) name = name.substring(0, 63).replaceAll("-+$", "");
        return name.isEmpty() ? "debian" : name;
    }

    /** A rename when output is on the work directory's file system; else a sparse copy beside output, renamed. */
    private static void moveIntoPlace(Path disk, Path output, BuildProgress progress) throws IOException {
        try {
            Files.move(disk, output, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException otherFileSystem) {
            Path partial = output.resolveSibling("." + output.getFileName() + ".partial");
            try {
                new BuildProcess("copying the image", List.of("cp", "--sparse=always", "--", disk.toString(), partial.toString()))
                        .timeout(Duration.ofMinutes(60)).run(progress);
                Files.move(partial, output, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : BuildProcess.ENVIRONMENT.get("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
