package dev.hangar.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {
    @Test
    void listenTakesHostAndPort() throws Exception {
        InetSocketAddress a = ServeOptions.parseListen("127.0.0.1:12345");
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertEquals(12345, a.getPort());
        assertEquals(8080, ServeOptions.parseListen("[::1]:8080").getPort());
        assertThrows(IllegalArgumentException.class, () -> ServeOptions.parseListen("nohost"));
    }

    @Test
    void aBadOptionIsAOneLineErrorAndMakesNothing(@TempDir Path dir) {
        Path data = dir.resolve("data");
        for (String[] bad : new String[][] {
                {"--network-mode", "wifi"}, {"--nat-subnet", "10.0.0.0/16"}, {"--max-image-size", "5gb"},
                {"--accel", "xen"}, {"--listen", "0.0.0.0:12345"}, {"--vm-lib", dir.resolve("no-such-library").toString()}}) {
            String[] args = new String[bad.length + 2];
            args[0] = "--data-dir";
            args[1] = data.toString();
            System.arraycopy(bad, 0, args, 2, bad.length);
            assertEquals(2, new CommandLine(new ServeCommand()).execute(args), String.join(" ", bad));
            assertFalse(Files.exists(data), "nothing is made for " + String.join(" ", bad));
        }
    }

    @Test
    void badOutboundOptionsAreStartUpErrorsNamingTheOption(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path noCertificate = Files.writeString(dir.resolve("ca.pem"), "# no certificate here\n");
        for (String[] bad : new String[][] {
                {"--outbound-allow", "example.org/8"}, {"--outbound-deny", "10.0.0.0/8,10.0.0.0/33"}, {"--outbound-deny", "0xa9.254.0.0/16"},
                {"--ca-bundle", dir.resolve("missing.pem").toString()}, {"--ca-bundle", noCertificate.toString()}}) {
            java.io.PrintStream saved = System.err;
            java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
            System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                assertEquals(2, new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), bad[0], bad[1]), String.join(" ", bad));
            } finally {
                System.setErr(saved);
            }
            String err = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
            org.junit.jupiter.api.Assertions.assertTrue(err.startsWith("hangar: " + bad[0] + ": "), err);
            assertFalse(Files.exists(data), "nothing is made for " + String.join(" ", bad));
        }
    }

    @Test
    void aVmLibThatIsNoDirectoryIsAStartUpErrorNamingIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path file = Files.writeString(dir.resolve("vmlib.txt"), "not a directory");
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), "--vm-lib", file.toString());
        } finally {
            System.setErr(saved);
        }
        String said = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, said);
        org.junit.jupiter.api.Assertions.assertTrue(said.contains("--vm-lib") && said.contains(file.toString()), said);
        assertFalse(Files.exists(data), "nothing is made");
    }

    @Test
    void aLibvirtThatCannotBeReachedIsAStartUpErrorNamingItsUri(@TempDir Path dir) {
        Path data = dir.resolve("data");
        java.io.StringWriter err = new java.io.StringWriter();
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), "--driver", "libvirt",
                    "--libvirt-uri", "qemu:///system?socket=" + dir.resolve("no-libvirtd.sock"));
        } finally {
            System.setErr(saved);
        }
        String said = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, said);
        org.junit.jupiter.api.Assertions.assertTrue(said.contains("cannot connect to libvirt at qemu:///system?socket="), said);
        org.junit.jupiter.api.Assertions.assertFalse(said.contains("\tat "), "no stack trace: " + said);
        assertFalse(Files.exists(data.resolve("hangar.db")), "nothing is opened");
    }

    @Test
    void aRegularFileAtTheInfrakitSocketPathIsAStartUpErrorNamingIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path file = Files.writeString(dir.resolve("vmware-fusion"), "not a socket");
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), "--infrakit-socket", file.toString());
        } finally {
            System.setErr(saved);
        }
        String said = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, said);
        org.junit.jupiter.api.Assertions.assertTrue(said.contains(file + " exists and is not a socket"), said);
        assertFalse(Files.exists(data), "nothing is made");
        assertEquals("not a socket", Files.readString(file), "the file is left as it was");
    }

    /** Runs serve with these arguments; its exit code and what it said on stderr. */
    private static java.util.Map.Entry<Integer, String> serve(String... args) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute(args);
        } finally {
            System.setErr(saved);
        }
        return java.util.Map.entry(code, captured.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static ServeOptions parsed(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        serve.options.applyConfigFile();
        return serve.options;
    }

    private static dev.hangar.app.Settings settings(String... args) throws Exception {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.options.settings();
    }

    @Test
    void theConfigFileGivesWhatTheFlagsDoNotAndFlagsWin(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("hangar.json"), """
                {"listen": "127.0.0.1:1111", "max_builds": 3, "hosts-listen": "127.0.0.1:8420", "no_oauth": true,
                 "no_ssl": false, "download_stall_timeout": 7, "clients": {"mock-key": "mock-secret"}}""");
        ServeOptions serve = parsed("--data-dir", dir.resolve("data").toString(), "--config", file.toString(),
                "--listen", "127.0.0.1:2222", "--download-stall-timeout", "9");
        assertEquals("127.0.0.1:2222", serve.listen);
        assertEquals(9, serve.downloadStallTimeout);
        assertEquals(3, serve.maxBuilds);
        assertEquals("127.0.0.1:8420", serve.hostsListen);
        org.junit.jupiter.api.Assertions.assertTrue(serve.noOauth);
        assertFalse(serve.noSsl);
        assertEquals(java.util.Map.of("mock-key", "mock-secret"), serve.clients());
        // A client as the seeds' tools were configured (a secret), or as clients are from now on: an object whose
        // require_body_hash is true unless it says false.
        Files.writeString(file, "{\"clients\": {\"old\": \"s1\", \"new\": {\"secret\": \"s2\"},"
                + " \"lax\": {\"secret\": \"s3\", \"require_body_hash\": false}}}");
        ServeOptions withClients = parsed("--data-dir", dir.resolve("data").toString(), "--config", file.toString());
        assertEquals(java.util.Map.of("old", "s1", "new", "s2", "lax", "s3"), withClients.clients());
        assertEquals(java.util.Set.of("new"), withClients.bodyHashRequired());
        // A repeatable option takes an array: "hostnames", as --hostname given once for each.
        Files.writeString(file, "{\"hostnames\": [\"hangar.example.org\", \"ci.example.org\"]}");
        assertEquals(java.util.List.of("hangar.example.org", "ci.example.org"),
                parsed("--data-dir", dir.resolve("data").toString(), "--config", file.toString()).hostnames);
        assertEquals(java.util.List.of("a.example"), parsed("--data-dir", dir.resolve("data").toString(), "--hostname", "a.example").hostnames);
        // Without --config, DATA-DIR/hangar.json is read when it exists, and nothing is wanted when it does not.
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("hangar.json"), "{\"max_builds\": 4, \"port\": 8075}");
        serve = parsed("--data-dir", data.toString());
        assertEquals(4, serve.maxBuilds);
        assertEquals(8075, serve.port);
        assertEquals("127.0.0.1:12345", serve.listen);
        serve = parsed("--data-dir", dir.resolve("elsewhere").toString());
        assertEquals(1, serve.maxBuilds);
        assertEquals(java.util.Map.of(), serve.clients());
    }

    @Test
    void anUnknownKeyOrABadValueOrAMissingGivenFileIsAStartUpErrorNamingIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path file = dir.resolve("hangar.json");
        for (String[] bad : new String[][] {
                {"{\"listne\": \"127.0.0.1:1\"}", "unknown key \"listne\""},
                {"{\"config\": \"/etc/other.json\"}", "unknown key \"config\""},
                {"{\"max_builds\": \"many\"}", "--max-builds"},
                {"{\"no_ssl\": \"yes\"}", "\"no_ssl\" must be true or false"},
                {"{\"clients\": {\"k\": 1}}", "\"clients\""},
                {"{\"listen\": [1]}", "\"listen\""},
                {"{\"hostnames\": [1]}", "array of strings"},
                {"[1]", "JSON object"},
                {"{\"listen\": ", "not valid JSON"}}) {
            Files.writeString(file, bad[0]);
            var result = serve("--data-dir", data.toString(), "--config", file.toString());
            assertEquals(2, result.getKey(), bad[0] + ": " + result.getValue());
            org.junit.jupiter.api.Assertions.assertTrue(result.getValue().contains(bad[1]) && result.getValue().contains(file.toString()),
                    bad[0] + " -> " + result.getValue());
            assertFalse(Files.exists(data), "nothing is made for " + bad[0]);
        }
        var result = serve("--data-dir", data.toString(), "--config", dir.resolve("missing.json").toString());
        assertEquals(2, result.getKey());
        org.junit.jupiter.api.Assertions.assertTrue(result.getValue().contains("no such file: " + dir.resolve("missing.json")), result.getValue());
        assertFalse(Files.exists(data));
    }

    @Test
    void aNonLoopbackListenerNeedsOAuthOrNoOauth(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        var result = serve("--data-dir", data.toString(), "--listen", "0.0.0.0:12345");
        assertEquals(2, result.getKey());
        org.junit.jupiter.api.Assertions.assertTrue(result.getValue().contains("needs OAuth") && result.getValue().contains("--no_oauth"), result.getValue());
        result = serve("--data-dir", data.toString(), "--hosts-listen", "0.0.0.0:8420", "--no_ssl");
        assertEquals(2, result.getKey(), "the same rule for every listener, with or without TLS");
        assertFalse(Files.exists(data), "nothing is made");
        InetSocketAddress any = ServeOptions.parseListen("0.0.0.0:12345");
        assertEquals(null, settings("--data-dir", data.toString(), "--no_oauth").access().exposureRefusal(java.util.List.of(any)));
        Path file = Files.writeString(dir.resolve("c.json"), "{\"clients\": {\"mock-key\": \"mock-secret\"}}");
        assertEquals(null, settings("--data-dir", data.toString(), "--config", file.toString()).access().exposureRefusal(java.util.List.of(any)));
        assertEquals(null, settings("--data-dir", data.toString()).access().exposureRefusal(java.util.List.of()));
    }

    @Test
    void tlsIsOnOffLoopbackAndWhereverAPemIsGivenUnlessNoSsl(@TempDir Path dir) throws Exception {
        InetSocketAddress loopback = ServeOptions.parseListen("127.0.0.1:12345");
        InetSocketAddress any = ServeOptions.parseListen("0.0.0.0:12345");
        var plain = settings("--data-dir", dir.toString()).listeners();
        assertFalse(plain.usesTls(loopback), "loopback with no options stays one-command plain HTTP");
        org.junit.jupiter.api.Assertions.assertTrue(plain.usesTls(any));
        assertFalse(settings("--data-dir", dir.toString(), "--no_ssl").listeners().usesTls(any));
        Path pem = Files.writeString(dir.resolve("operator.pem"), "-----BEGIN CERTIFICATE-----");
        org.junit.jupiter.api.Assertions.assertTrue(settings("--data-dir", dir.toString(), "--ssl_pem", pem.toString()).listeners().usesTls(loopback),
                "the operator's certificate is used on loopback too");
    }

    @Test
    void aBadPemIsAStartUpErrorNamingIt(@TempDir Path dir) throws Exception {
        Path pem = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var result = serve("--data-dir", dir.resolve("data").toString(), "--ssl_pem", pem.toString());
        assertEquals(2, result.getKey(), result.getValue());
        org.junit.jupiter.api.Assertions.assertTrue(result.getValue().contains("--ssl_pem") && result.getValue().contains(pem.toString()), result.getValue());
    }

    @Test
    void imageFactorysOwnFlagsAreTaken(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        ServeOptions serve = parsed("--data-dir", data.toString(), "--no_ssl", "--no_oauth", "--port", "8075");
        org.junit.jupiter.api.Assertions.assertTrue(serve.noSsl && serve.noOauth);
        assertEquals(8075, serve.port);
        Path pem = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----");
        assertEquals(pem, parsed("--data-dir", data.toString(), "--ssl_pem", pem.toString()).sslPem);
        for (String[] bad : new String[][] {
                {"--port", "8075", "--imagefactory-listen", "127.0.0.1:8075"},
                {"--ssl_pem", dir.resolve("missing.pem").toString()},
                {"--ssl_pem", pem.toString(), "--no_ssl"},
                {"--oauth-window", "0"}}) {
            String[] args = new String[bad.length + 2];
            args[0] = "--data-dir";
            args[1] = data.toString();
            System.arraycopy(bad, 0, args, 2, bad.length);
            assertEquals(2, serve(args).getKey(), String.join(" ", bad));
        }
        assertFalse(Files.exists(data), "nothing is made");
    }

    @Test
    void theSettingsBuildTheWholeServiceWhichAnswersAndClosesCleanly(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        dev.hangar.app.Settings settings = settings("--data-dir", data.toString(), "--listen", "127.0.0.1:0", "--network-mode", "user");
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI health;
        try (dev.hangar.app.Hangar hangar = dev.hangar.app.Hangar.start(settings, java.time.Clock.systemUTC())) {
            health = java.net.URI.create("http://127.0.0.1:" + hangar.address().getPort() + "/healthz");
            var answer = http.send(java.net.http.HttpRequest.newBuilder(health).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            org.junit.jupiter.api.Assertions.assertTrue(Files.exists(data.resolve("hangar.db")), "the database is made");
            org.junit.jupiter.api.Assertions.assertTrue(Files.exists(data.resolve("infrakit").resolve("hangar.sock")), "the plugin socket is served");
        }
        assertFalse(Files.exists(data.resolve("infrakit").resolve("hangar.sock")), "closed: the socket file is gone");
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> http.send(java.net.http.HttpRequest.newBuilder(health).build(), java.net.http.HttpResponse.BodyHandlers.ofString()),
                "and nothing listens any more");
    }

    @Test
    void theAotTrainingRunStartsTheServiceAsksItAndLeavesNothingBehind() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        java.util.function.Supplier<java.util.Set<Path>> trainingDirs = () -> {
            try (var listed = Files.list(tmp)) {
                return listed.filter(p -> p.getFileName().toString().startsWith("hangar-aot-training")).collect(java.util.stream.Collectors.toSet());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        java.util.Set<Path> before = trainingDirs.get();

        int status = dev.hangar.cli.Main.commandLine("aot-training").execute("aot-training");

        assertEquals(0, status);
        assertEquals(before, trainingDirs.get(), "its data directory is removed");
    }
}
