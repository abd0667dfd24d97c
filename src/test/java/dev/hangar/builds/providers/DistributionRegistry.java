package dev.hangar.builds.providers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry (the distribution registry) run by a test: on 127.0.0.1 on a free port,
 * storage in a temp dir, optionally with htpasswd (bcrypt) auth; ended by its PID.
 */
public final class DistributionRegistry implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    /** @param user null for no auth */
    public DistributionRegistry(Path dir, String user, String password) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        port = freePort();
        String auth = "";
        if (user != null) {
            Path htpasswd = dir.resolve("htpasswd");
            // -B: bcrypt, the only hash the registry reads; -i reads the password from stdin, off the command line.
            Process p = new ProcessBuilder("htpasswd", "-B", "-i", "-c", htpasswd.toString(), user).redirectErrorStream(true).start();
            p.getOutputStream().write(password.getBytes());
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) throw new IOException("htpasswd failed: " + out);
            auth = """
                    auth:
                      htpasswd:
                        realm: hangar-test
                        path: %s
                    """.formatted(htpasswd);
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                %s""".formatted(dir.resolve("storage"), port, auth));
        log = dir.resolve("registry.log");
        process = new ProcessBuilder("docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitListening();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    String hostPort() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void awaitListening() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("docker-registry exited " + process.exitValue() + ": " + log());
            try {
                int status = http.send(HttpRequest.newBuilder(url().resolve("/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        close();
        throw new IOException("docker-registry did not listen on " + url() + " within 30 s: " + log());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Ends the registry by its PID: SIGTERM, then SIGKILL. */
    @Override
    public void close() {
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
