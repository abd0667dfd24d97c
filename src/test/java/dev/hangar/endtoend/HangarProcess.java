package dev.hangar.endtoend;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import dev.hangar.process.Command;

/** The real service, run from the built jar as its own process, the way an operator runs it. */
final class HangarProcess implements AutoCloseable {
    private final Path dataDir;
    private final List<String> extraArgs;
    private final List<String> launcher = new ArrayList<>();
    private final int port;
    private String listenHost = "127.0.0.1";
    private boolean tls;
    private Process process;

    HangarProcess(Path dataDir, String... extraArgs) throws IOException {
        this.dataDir = dataDir;
        this.extraArgs = List.of(extraArgs);
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
    }

    /** Runs the service as the unprivileged user nobody, with no capabilities, as a non-root operator would. */
    HangarProcess unprivileged() {
        launcher.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all"));
        return this;
    }

    /**
     * Listens on every address (0.0.0.0), as a service others reach: TLS with its self-signed certificate
     * then, unless the arguments say --no_ssl. {@link #http()} trusts that certificate.
     */
    HangarProcess exposed() {
        listenHost = "0.0.0.0";
        tls = !extraArgs.contains("--no_ssl");
        return this;
    }

    String base() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }

    /** A client for {@link #base()}: for TLS, one that trusts the certificate the service made (and nothing else). */
    HttpClient http() throws Exception {
        if (!tls) return HttpClient.newHttpClient();
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(dataDir.resolve("tls").resolve("hangar.crt"))) {
            trust.setCertificateEntry("hangar", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        var context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(context).build();
    }

    Path dataDir() {
        return dataDir;
    }

    /** The running service's process id. */
    long pid() {
        return process.pid();
    }

    HangarProcess start() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new ArrayList<>(launcher);
        argv.addAll(List.of(java, "-jar", System.getProperty("hangar.jar", "target/hangar.jar"),
                "serve", "--listen", listenHost + ":" + port, "--data-dir", dataDir.toString()));
        argv.addAll(extraArgs);
        Files.createDirectories(dataDir);
        if (!launcher.isEmpty()) Command.check("chown", "65534:65534", dataDir.toString());
        process = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("service.log").toFile())).start();
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        // With TLS, the certificate a client must trust exists once the service says it listens.
        while (tls && !log().contains("hangar listening") && process.isAlive() && System.nanoTime() < until) Thread.sleep(20);
        HttpClient http = http();
        while (System.nanoTime() < until) {
            if (!process.isAlive()) throw new IllegalStateException("service exited: " + log());
            try {
                http.send(HttpRequest.newBuilder(URI.create(base() + "/vms")).build(), HttpResponse.BodyHandlers.discarding());
                // The service says it is up only after its last listener started: wait for that line too.
                while (!log().contains("hangar listening") && process.isAlive() && System.nanoTime() < until) Thread.sleep(20);
                return this;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("service did not answer within 30 s: " + log());
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed that was not already committed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    String log() {
        try {
            return Files.readString(dataDir.resolve("service.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor();
        }
    }
}
