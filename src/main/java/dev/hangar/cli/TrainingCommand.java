package dev.hangar.cli;

import dev.hangar.app.Hangar;
import dev.hangar.core.FileTrees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code hangar aot-training} (hidden): the training run the build records an AOT cache from
 * ({@code scripts/build-aot}: {@code java -XX:AOTCacheOutput=...}), so the service starts with its
 * classes already loaded and linked. It starts the service as {@code serve} does, with user-mode
 * networks, on a loopback port of the kernel's choice and a data directory of its own (removed at the
 * end), asks it what clients ask first, runs a client command against it ({@code vm list}, in this
 * JVM: client commands start from the same cache), and stops it: nothing on the host is touched and no
 * VM is made.
 */
@Command(name = "aot-training", hidden = true, mixinStandardHelpOptions = true,
        description = "The training run of the build's AOT cache (not for users: scripts/build-start-cache runs it).",
        footer = {"", "Example:", "  java -XX:AOTCacheOutput=target/hangar.jar.aot -jar target/hangar.jar aot-training"})
public final class TrainingCommand implements Callable<Integer> {
    /** Reads a client asks for first, and requests every face refuses (their error paths load too). */
    private static final List<String> READS = List.of("/vms", "/healthz", "/readyz", "/operations", "/metrics", "/openapi.json",
            "/images", "/networks", "/templates", "/groups", "/hosts", "/imagefactory/base_images", "/ui/", "/no-such-route");

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("hangar-aot-training");
        try {
            ServeCommand serve = new ServeCommand();
            new CommandLine(serve).parseArgs("--network-mode", "user", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("data").toString(),
                    "--infrakit-socket", dir.resolve("plugin.sock").toString());
            try (Hangar hangar = Hangar.start(serve.options.settings(), Clock.systemUTC())) {
                String base = "http://127.0.0.1:" + hangar.address().getPort();
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                for (String path : READS) send(http, HttpRequest.newBuilder(URI.create(base + path)).GET());
                send(http, HttpRequest.newBuilder(URI.create(base + "/healthz")).HEAD());
                send(http, HttpRequest.newBuilder(URI.create(base + "/vms")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"image\": {\"url\": \"not a url\"}}")));
                send(http, HttpRequest.newBuilder(URI.create(base + "/vms/00000000-0000-0000-0000-000000000000")).DELETE());
                CommandLine client = Main.commandLine("vm");
                java.io.PrintWriter quiet = new java.io.PrintWriter(java.io.Writer.nullWriter());
                client.setOut(quiet).setErr(quiet).execute("vm", "list", "--url", base);
            }
            return 0;
        } finally {
            FileTrees.delete(dir);
        }
    }

    private static void send(HttpClient http, HttpRequest.Builder request) throws Exception {
        http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
    }
}
