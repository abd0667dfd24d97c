package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.process.Command;
import dev.hangar.testing.SystemdUnit;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Debian package as an operator meets it: {@code apt-get install ./hangar_*.deb} on this machine
 * (Debian 12, the dependencies installed by scripts/install-deps) puts the launcher, its Java runtime,
 * the unit and the config in place, adds the user QEMU runs as, enables the unit; the service the unit
 * describes answers /healthz and /readyz on the default 127.0.0.1:12345; {@code apt-get purge} takes it
 * all away again but the user, which other tests and leftover files may still need.
 *
 * The service is started as systemd would start it, from the installed unit's ExecStart and Environment,
 * but by the test, in the test's network namespace: a systemd outside it would make the default bridges
 * on the host's network (and on our machines systemd is not PID 1 anyway).
 */
class DebPackageEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path UNIT = Path.of("/lib/systemd/system/hangar.service");
    private static final Path DATA = Path.of("/var/lib/hangar");
    private static final Path CONFIG_DIR = Path.of("/etc/hangar");
    private static final String BASE = "http://127.0.0.1:12345";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** What the service printed: systemd's journal would hold it. */
    private Path journal;

    @Test
    void installsStartsWithTheDefaultsAndPurgesClean() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        // The package is installed on the machine, not in a namespace: two runs of this test at once (two
        // worktrees' ./test) take turns.
        try (FileChannel lock = FileChannel.open(Path.of("/tmp/hangar-deb-e2e.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = lock.lock()) {
            installStartAndPurge();
        }
    }

    private void installStartAndPurge() throws Exception {
        // The package's purge removes /var/lib/hangar: never on a machine where an operator's Hangar lives.
        assumeFalse(installed(), "the hangar package is installed on this machine; the test would remove it");
        assumeFalse(Files.exists(DATA) || Files.exists(CONFIG_DIR), DATA + " or " + CONFIG_DIR + " exists; the test's purge would remove them");
        Path deb = builtPackage();

        Command.Result install = apt("install", "-y", deb.toString());
        try {
            assertEquals(0, install.exitCode(), install.stdout() + install.stderr());
            assertTrue(installed(), "dpkg says hangar is installed");

            // Files, the runtime the package carries, the user and the unit.
            assertTrue(Files.isExecutable(Path.of("/usr/bin/hangar")));
            assertTrue(Files.isRegularFile(Path.of("/usr/lib/hangar/hangar.jar")));
            Command.Result version = Command.run(List.of("/usr/lib/hangar/runtime/bin/java", "-version"), Duration.ofSeconds(30));
            assertTrue(version.stderr().matches("(?s).*version \"(2[1-9]|[3-9][0-9]).*"), "a Java 21+ runtime: " + version.stderr());
            // The start cache the package carries is the one its runtime maps, on the installed paths.
            assertTrue(Files.isRegularFile(Path.of("/usr/lib/hangar/hangar.jar.aot")), "the AOT cache");
            assertTrue(Files.isRegularFile(Path.of("/usr/lib/hangar/native/libsqlitejdbc.so")), "SQLite's library, out of the jar");
            Command.Result cached = Command.run(List.of("/usr/bin/hangar", "--version"), Map.of("HANGAR_JAVA_OPTS", "-Xlog:class+load=info"),
                    Duration.ofSeconds(60));
            assertTrue(cached.stdout().contains("dev.hangar.cli.Main source: shared objects file"),
                    "Hangar's classes come from the AOT cache: " + cached.stdout().lines().filter(l -> l.contains("aot") || l.contains("dev.hangar.cli.Main")).toList());
            Command.Result help = Command.run(List.of("/usr/bin/hangar", "serve", "--help"), Duration.ofSeconds(60));
            assertEquals(0, help.exitCode(), help.stderr());
            assertTrue(help.stdout().contains("--listen"), help.stdout());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(CONFIG_DIR.resolve("hangar.json"))),
                    "the config may hold OAuth secrets");
            assertTrue(Files.isDirectory(DATA));
            String passwd = Command.check("getent", "passwd", "hangar-qemu").stdout();
            assertTrue(passwd.strip().endsWith(":/usr/sbin/nologin"), passwd);
            assertTrue(Files.isRegularFile(UNIT));
            assertEquals(UNIT, Files.readSymbolicLink(Path.of("/etc/systemd/system/multi-user.target.wants/hangar.service")),
                    "the unit is enabled");
            // verify exits 0 on an unknown key or a bad value, and says so: silence is the only pass.
            Command.Result verify = Command.run(List.of("systemd-analyze", "verify", UNIT.toString()), Duration.ofSeconds(60));
            assertEquals("", verify.stdout() + verify.stderr());

            // The service, as the unit says.
            SystemdUnit service = SystemdUnit.parse(Files.readString(UNIT));
            Process process = start(service);
            try {
                HttpResponse<String> health = awaitHealthy(process);
                assertEquals(200, health.statusCode(), health.body());
                HttpResponse<String> ready = get("/readyz");
                assertEquals(200, ready.statusCode(), () -> ready.body() + journal());
                assertEquals("ok", JSON.readTree(ready.body()).get("checks").get("database").asText(), ready.body());
                assertTrue(Files.exists(DATA.resolve("hangar.db")), "the default data directory holds the database");
                assertFalse(journal().contains("[aot]"), "the JVM took the AOT cache without a word: " + journal());
            } finally {
                // systemd's stop with KillMode=process: SIGTERM to the service alone, then TimeoutStopSec.
                process.destroy();
                assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the service stops on SIGTERM within TimeoutStopSec");
                process.destroyForcibly();
                // What KillMode=process leaves running (dnsmasq on the default bridges) was started by this test.
                Processes.endDaemons(DATA);
            }
        } finally {
            Command.Result purge = apt("purge", "-y", "hangar");
            assertEquals(0, purge.exitCode(), purge.stdout() + purge.stderr());
        }
        assertFalse(installed(), "purged");
        for (Path gone : List.of(Path.of("/usr/bin/hangar"), Path.of("/usr/lib/hangar"), UNIT, CONFIG_DIR, DATA,
                Path.of("/etc/systemd/system/multi-user.target.wants/hangar.service"))) {
            assertFalse(Files.exists(gone, java.nio.file.LinkOption.NOFOLLOW_LINKS), gone + " is gone after the purge");
        }
        assertEquals(0, Command.run(List.of("getent", "passwd", "hangar-qemu"), Duration.ofSeconds(10)).exitCode(),
                "the user hangar-qemu stays, as Debian's packages leave their system users");
    }

    /** The .deb that `mvn package` built beside the jar. */
    private static Path builtPackage() throws IOException {
        Path target = Path.of(System.getProperty("hangar.jar", "target/hangar.jar")).toAbsolutePath().getParent();
        try (Stream<Path> files = Files.list(target)) {
            List<Path> debs = files.filter(f -> f.getFileName().toString().matches("hangar_.*\\.deb")).toList();
            assertEquals(1, debs.size(), "one package in " + target + ": " + debs);
            return debs.getFirst();
        }
    }

    private static boolean installed() throws IOException {
        Command.Result status = Command.run(List.of("dpkg-query", "-W", "-f=${Status}", "hangar"), Duration.ofSeconds(30));
        return status.ok() && status.stdout().contains("install ok installed");
    }

    /** apt-get as an operator runs it, with no questions; everything it needs is installed, so nothing is downloaded. */
    private static Command.Result apt(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("apt-get", "-q", "-o", "DPkg::Lock::Timeout=120"));
        argv.addAll(Arrays.asList(args));
        return Command.run(argv, Map.of("DEBIAN_FRONTEND", "noninteractive"), Duration.ofMinutes(3));
    }

    /** ExecStart with the unit's Environment, its output in a log as the journal would keep it. */
    private Process start(SystemdUnit service) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of(service.get("Service", "ExecStart").split("\\s+")));
        for (String assignment : service.all("Service", "Environment")) {
            pb.environment().put(assignment.substring(0, assignment.indexOf('=')), assignment.substring(assignment.indexOf('=') + 1));
        }
        journal = Files.createTempFile("hangar-deb-service", ".log");
        journal.toFile().deleteOnExit();
        return pb.redirectErrorStream(true).redirectOutput(journal.toFile()).start();
    }

    private HttpResponse<String> awaitHealthy(Process process) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            assertTrue(process.isAlive(), () -> "the service exited with " + process.exitValue() + ": " + journal());
            try {
                return get("/healthz");
            } catch (IOException notYet) {
                if (System.nanoTime() > until) throw new AssertionError("nothing answered on " + BASE + " within 90 s", notYet);
                Thread.sleep(200);
            }
        }
    }

    private String journal() {
        try {
            return journal == null ? "" : "\n" + Files.readString(journal);
        } catch (IOException e) {
            return "";
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(BASE + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
