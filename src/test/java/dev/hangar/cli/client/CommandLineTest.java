package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How the client commands read their arguments, what --help says, and the exit status of each outcome. */
class CommandLineTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void createReadsEveryOption() {
        CommandLine cli = Main.commandLine();
        CommandLine.ParseResult parsed = cli.parseArgs("vm", "create", "--image", "http://i.test/a.tar.gz", "--checksum", "ab12",
                "--cpus", "2", "--memory", "2GiB", "--name", "web1", "--tag", "role=web", "--tag", "env=test", "--wait",
                "--url", "http://10.0.0.1:8080");
        VmCommand.Create create = (VmCommand.Create) parsed.subcommand().subcommand().commandSpec().userObject();
        assertEquals("http://i.test/a.tar.gz", create.image.url);
        assertEquals("sha256", create.image.checksumType);
        assertEquals(2, create.shape.cpus);
        assertEquals("2GiB", create.guest.memory);
        assertEquals(java.util.List.of("role=web", "env=test"), create.shape.tags);
        assertTrue(create.await);
        assertEquals("http://10.0.0.1:8080", create.options.baseUrl(Map.of()).toString());
    }

    @Test
    void theUrlComesFromTheFlagThenHangarUrlThenTheDefault() {
        ClientOptions o = new ClientOptions();
        assertEquals("http://127.0.0.1:12345", o.baseUrl(Map.of()).toString());
        assertEquals("https://h.test:12345", o.baseUrl(Map.of("HANGAR_URL", "https://h.test:12345")).toString());
        o.url = "http://127.0.0.1:9";
        assertEquals("http://127.0.0.1:9", o.baseUrl(Map.of("HANGAR_URL", "https://h.test:12345")).toString());
        o.url = "ftp://x";
        assertThrows(IllegalArgumentException.class, () -> o.baseUrl(Map.of()));
    }

    @Test
    void badUsageExitsWith2() {
        assertEquals(2, run("vm", "create", "--checksum", "ab").status());           // no --image
        assertEquals(2, run("vm", "create", "--image", "u", "--checksum", "ab", "--cpus", "two").status());
        assertEquals(2, run("vm", "list", "-o", "yaml").status());
        assertEquals(2, run("vm", "frobnicate").status());
        assertEquals(2, run("vm", "list", "--tag", "no-equals", "--url", "http://127.0.0.1:9").status());
        assertEquals(2, run("vm", "list", "--url", "not a url").status());
        Run missingConfig = run("vm", "list", "--config", dir.resolve("nope.json").toString());
        assertEquals(2, missingConfig.status());
        assertTrue(missingConfig.err().contains("does not exist"), missingConfig.err());
    }

    @Test
    void aServiceThatIsNotThereFailsWith1AndSaysWhere() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = run("vm", "list", "--url", "http://127.0.0.1:" + port);
        assertEquals(1, r.status());
        assertTrue(r.err().startsWith("hangar: unreachable: cannot reach Hangar at http://127.0.0.1:" + port), r.err());
    }

    @Test
    void theConfigsFirstClientSignsAndNoClientsMeansUnsigned() throws Exception {
        Path config = dir.resolve("hangar.json");
        Files.writeString(config, "{\"listen\": \"0.0.0.0:12345\", \"clients\": {\"client1\": \"s1\", \"client2\": \"s2\"}}");
        ClientOptions o = new ClientOptions();
        o.config = config;
        CommandLine cli = Main.commandLine();
        assertTrue(o.signer(cli).authorization("GET", java.net.URI.create("http://h:1/vms"), null, new byte[0])
                .contains("oauth_consumer_key=\"client1\""));
        o.client = "client2";
        assertTrue(o.signer(cli).authorization("GET", java.net.URI.create("http://h:1/vms"), null, new byte[0])
                .contains("oauth_consumer_key=\"client2\""));
        o.client = "client3";
        assertThrows(CommandLine.ParameterException.class, () -> o.signer(cli));
        Files.writeString(config, "{\"listen\": \"127.0.0.1:12345\"}");
        o.client = null;
        assertNull(o.signer(cli));
    }

    @Test
    void caCertTrustsAServicesSelfSignedCertificateAndABadOneIsAUsageError() throws Exception {
        dev.hangar.security.TlsCertificate.selfSigned(dir.resolve("tls"), java.util.List.of("localhost"),
                java.util.List.of(java.net.InetAddress.getLoopbackAddress()), java.time.Clock.systemUTC());
        ClientOptions o = new ClientOptions();
        o.caCert = dir.resolve("tls").resolve(dev.hangar.security.TlsCertificate.CERT_FILE);
        o.config = dir.resolve("none.json");
        Files.writeString(o.config, "{}");
        assertEquals("https://localhost:12345", o.client(Map.of("HANGAR_URL", "https://localhost:12345"), Main.commandLine()).base().toString());

        Files.writeString(dir.resolve("junk.crt"), "not a certificate");
        Run r = run("vm", "list", "--ca-cert", dir.resolve("junk.crt").toString(), "--config", o.config.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("cannot read --ca-cert"), r.err());
    }

    @Test
    void everyCommandHasHelpWithAnExample() {
        CommandLine root = Main.commandLine();
        checkHelp(root);
    }

    private static void checkHelp(CommandLine command) {
        List<String> path = new java.util.ArrayList<>();
        for (CommandLine c = command; c.getParent() != null; c = c.getParent()) path.addFirst(c.getCommandName());
        path.add("--help");
        Run help = run(path.toArray(String[]::new));
        assertEquals(0, help.status(), path + ": " + help.err());
        if (!command.getCommandName().equals("serve")) {
            assertTrue(help.out().contains("Example"), path + " has no example:\n" + help.out());
        }
        for (CommandLine sub : command.getSubcommands().values()) checkHelp(sub);
    }

    @Test
    void aCommandBuildsOnlyItsOwnBranchAndAnythingElseTheWholeTree() {
        assertEquals(List.of("vm"), List.copyOf(Main.commandLine("vm").getSubcommands().keySet()));
        List<String> all = List.of("serve", "vm", "host", "network", "template", "group", "build", "image", "completion", "aot-training");
        assertEquals(all, List.copyOf(Main.commandLine("completion").getSubcommands().keySet()));
        assertEquals(all, List.copyOf(Main.commandLine("--help").getSubcommands().keySet()));
        assertEquals(all, List.copyOf(Main.commandLine("vn").getSubcommands().keySet()));    // a typo: picocli suggests from all
        assertEquals(all, List.copyOf(Main.commandLine().getSubcommands().keySet()));
    }

    @Test
    void completionIsABashScriptThatKnowsTheCommands() {
        Run r = run("completion");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r.out().substring(0, 40));
        assertTrue(r.out().contains("complete -F _complete_hangar"), "no complete line");
        assertTrue(r.out().contains("create") && r.out().contains("--checksum") && r.out().contains("scale"), "commands missing");
    }

    @Test
    void aConsoleThatSlidesPrintsOnlyWhatIsNew() {
        assertEquals("c\n", ConsoleTail.newText("a\nb\n", "a\nb\nc\n"));
        assertEquals("d\n", ConsoleTail.newText("a\nb\nc\n", "b\nc\nd\n"));
        assertEquals("", ConsoleTail.newText("a\n", "a\n"));
        assertEquals("x\ny\n", ConsoleTail.newText("a\n", "x\ny\n"));
    }
}
