package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.builds.debian.DebianImageBuilder;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.ImageTemplate.Encoding;
import dev.hangar.core.builds.ImageTemplate.InstallType;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.process.Command;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian base image builder for real: Debian 12 from deb.debian.org with one package (busybox), one
 * file (a systemd unit running busybox httpd) and one command (which writes the page and a CGI script
 * and enables the unit), then the raw disk boots by firmware under QEMU (TCG, virtio-blk, user-mode NIC
 * with a host port forwarded to the guest's port 80), and the test reads the page and the guest's
 * DHCP lease, address and resolver from outside. The test JVM runs in a network namespace with only
 * loopback: apt reaches the archive through the relay src/test/netns/bin/java makes outside it
 * (HANGAR_TEST_APT_RELAY), behind a socat listener this test starts on 127.0.0.1.
 */
class DebianBuilderEndToEndTest {
    private static final String SITE = "/srv/hangar-e2e";
    private static final String UNIT = """
            [Unit]
            Description=Hangar end-to-end test page
            After=network.target

            [Service]
            ExecStart=/bin/busybox httpd -f -p 80 -h /srv/hangar-e2e

            [Install]
            WantedBy=multi-user.target
            """;
    // Interpreted by the new system's /bin/sh inside its root: quotes, a command substitution and a here-document.
    private static final String COMMAND = """
            mkdir -p /srv/hangar-e2e/cgi-bin
            printf 'built in %s by the command\\n' "$(cat /etc/hostname)" > /srv/hangar-e2e/index.html
            cat > /srv/hangar-e2e/cgi-bin/net <<'EOF'
            #!/bin/sh
            printf 'Content-Type: text/plain\\r\\n\\r\\n'
            /sbin/ip -4 -o addr show dev eth0
            echo ---
            /bin/cat /var/lib/dhcp/dhclient.eth0.leases
            echo ---
            /bin/cat /etc/resolv.conf
            echo ---
            /usr/bin/perl -e '($h) = map { (split /:/)[1] } grep { /^root:/ } <STDIN>; print crypt("hangar-e2e-secret", $h) eq $h ? "root password set\n" : "root password wrong: $h\n"' < /etc/shadow
            EOF
            chmod 755 /srv/hangar-e2e/cgi-bin/net
            systemctl enable hangar-web.service
            """;

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void endWhatWeStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroy(); // by its PID: socat, QEMU
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void buildsDebianWithAPackageAFileAndACommandAndTheImageBootsToDhcpAndServesThePage() throws Exception {
        // -Dtest=... also runs this class in Maven's unit-test JVM, outside the namespace: only there is it skipped.
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests run through ./test, in a network namespace");
        String relay = System.getenv("HANGAR_TEST_APT_RELAY");
        assertNotNull(relay, "HANGAR_TEST_APT_RELAY is not set: run end-to-end tests through ./test (src/test/netns/bin/java)");
        int proxyPort = freePort();
        started.add(new ProcessBuilder("socat", "TCP-LISTEN:" + proxyPort + ",bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:" + relay)
                .redirectErrorStream(true).redirectOutput(dir.resolve("socat.log").toFile()).start());
        awaitPort(proxyPort, Duration.ofSeconds(10));

        ImageTemplate template = new ImageTemplate("Hangar E2E Debian", "end-to-end test",
                new ImageTemplate.Os("Debian", "bookworm", "x86_64", InstallType.URL, "http://deb.debian.org/debian", "hangar-e2e-secret"),
                List.of("busybox"),
                List.of(new ImageTemplate.TemplateFile("/etc/systemd/system/hangar-web.service", Encoding.RAW, UNIT)),
                List.of(new ImageTemplate.TemplateCommand("web-page", COMMAND)),
                List.of(), null).validated();
        DebianImageBuilder builder = new DebianImageBuilder(URI.create("http://127.0.0.1:" + proxyPort));
        assertTrue(builder.cannotBuild(template.os()).isEmpty(), "this host builds Debian: " + builder.cannotBuild(template.os()));

        Path image = dir.resolve("debian.raw");
        RecordedProgress progress = new RecordedProgress();
        long buildStart = System.nanoTime();
        builder.build(template, image, dir.resolve("work"), progress);
        long buildSeconds = (System.nanoTime() - buildStart) / 1_000_000_000;

        assertEquals(2L << 30, Files.size(image), "the default disk is 2 GiB");
        assertBootableMbr(image);
        progress.assertMovedWithTheWork();
        assertFalse(Files.exists(Path.of(SITE)), "the command ran inside the new root, not on the host");
        String allocated = Command.check("du", "-m", image.toString()).stdout().split("\\s+")[0];

        int httpPort = freePort();
        Path serial = dir.resolve("serial.log");
        long bootStart = System.nanoTime();
        started.add(new ProcessBuilder("qemu-system-x86_64", "-machine", "q35,accel=tcg", "-cpu", "max", "-m", "512",
                "-nographic", "-monitor", "none", "-serial", "file:" + serial,
                "-drive", "file=" + image + ",format=raw,if=virtio",
                "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:" + httpPort + "-:80",
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:e2:de:b1")
                .redirectInput(new File("/dev/null")).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        String page = awaitPage(http, "http://127.0.0.1:" + httpPort + "/index.html", Duration.ofMinutes(5), serial);
        long bootSeconds = (System.nanoTime() - bootStart) / 1_000_000_000;
        assertEquals("built in hangar-e2e-debian by the command\n", page,
                "the file's unit serves the page the command wrote, with the host name the build set");

        // dhclient writes its lease file a moment after the address is up (later still on a loaded machine): ask again until it has.
        String net = get(http, "http://127.0.0.1:" + httpPort + "/cgi-bin/net").body();
        long leaseUntil = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!net.contains("fixed-address") && System.nanoTime() < leaseUntil) {
            Thread.sleep(1000);
            net = get(http, "http://127.0.0.1:" + httpPort + "/cgi-bin/net").body();
        }
        String[] parts = net.split("---\n");
        assertEquals(4, parts.length, "the CGI answer: " + net);
        assertTrue(parts[0].contains("inet 10.0.2.15/24"), "eth0 has QEMU's DHCP address: " + parts[0]);
        assertTrue(parts[1].contains("fixed-address 10.0.2.15;"), "dhclient holds a lease for it: " + parts[1]);
        assertTrue(parts[2].contains("nameserver 10.0.2.3"), "the resolver came with the lease: " + parts[2]);
        assertEquals("root password set\n", parts[3], "the template's rootpw is root's password");

        System.out.printf("Debian builder end to end: build %d s, image %s MiB allocated of 2048, firmware boot to HTTP %d s%n",
                buildSeconds, allocated, bootSeconds);
    }

    /** The MBR: signature 55 AA, partition 1 active FAT16 (0x0e), partition 2 Linux (0x83), syslinux's code. */
    private static void assertBootableMbr(Path image) throws IOException {
        byte[] mbr = new byte[512];
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            f.readFully(mbr);
        }
        assertEquals(0x55, mbr[510] & 0xff);
        assertEquals(0xaa, mbr[511] & 0xff);
        assertEquals(0x80, mbr[446] & 0xff, "partition 1 is active");
        assertEquals(0x0e, mbr[446 + 4] & 0xff, "partition 1 is FAT16 (LBA)");
        assertEquals(0x83, mbr[446 + 16 + 4] & 0xff, "partition 2 is Linux");
        assertFalse(allZero(mbr, 0, 440), "the MBR holds boot code");
    }

    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) if (bytes[i] != 0) return false;
        return true;
    }

    private static String awaitPage(HttpClient http, String url, Duration limit, Path serial) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> answer = get(http, url);
                if (answer.statusCode() == 200) return answer.body();
                last = "HTTP " + answer.statusCode();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(1000);
        }
        String console = Files.exists(serial) ? Files.readString(serial) : "";
        fail("the guest did not serve " + url + " within " + limit + " (" + last + "); the end of its console:\n"
                + console.substring(Math.max(0, console.length() - 4000)));
        return null;
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        fail("socat did not listen on 127.0.0.1:" + port);
    }

    /** Every report, to check that the percent moved with the work and only forward. */
    private static final class RecordedProgress implements BuildProgress {
        private final List<Integer> percents = new ArrayList<>();
        private final List<String> activities = new ArrayList<>();

        @Override
        public synchronized void report(int percent, String activity) {
            percents.add(percent);
            activities.add(activity);
        }

        @Override
        public boolean cancelled() {
            return false;
        }

        synchronized void assertMovedWithTheWork() {
            for (int i = 1; i < percents.size(); i++) {
                assertTrue(percents.get(i) >= percents.get(i - 1), "percent went back: " + percents);
            }
            assertEquals(100, percents.get(percents.size() - 1));
            assertTrue(percents.stream().distinct().count() >= 20, "the percent moved in many steps: " + percents);
            assertTrue(activities.stream().anyMatch(a -> a.matches("setting up packages \\(\\d+ of \\d+\\)")),
                    "mmdebstrap's package counts were followed: " + activities.stream().distinct().toList());
            assertTrue(activities.stream().anyMatch(a -> a.startsWith("running command 1 (web-page)")), "the command step reported");
        }
    }
}
