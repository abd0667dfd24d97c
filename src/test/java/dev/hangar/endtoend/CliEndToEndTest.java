package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.testing.ImageServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hangar CLI as a person uses it: the real launcher jar in a real terminal (tmux, 160x40) against
 * the real service and one real guest, read off the screen. `vm create --wait` shows its progress and
 * ends with the VM's address, `vm list` shows it in the table, `host list` shows it as a host, `vm ssh`
 * runs the real ssh at its address, `vm delete --wait` removes it; networks and templates are created,
 * listed, shown and deleted (nothing boots for them), and a blank host is created and deleted once the
 * guest is gone (never two guests at once); a failed creation exits 1 with the error's code, bad usage
 * 2; without a terminal the output is one line.
 */
class CliEndToEndTest {
    private static final Pattern DONE = Pattern.compile("VM ([0-9a-f-]{36}) is powered-on after \\d+(m\\d+)?s at (10\\.213\\.0\\.\\d+)");

    @TempDir
    Path dir;

    private Path socket;
    private String jar;
    private String java;

    @Test
    void createWatchListAndDeleteAVmFromATerminal() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        Machines.prepare("qemu");
        socket = dir.resolve("tmux.sock");
        jar = Path.of(System.getProperty("hangar.jar", "target/hangar.jar")).toAbsolutePath().toString();
        java = ProcessHandle.current().info().command().orElse("java");
        // OAuth on: every command below signs its requests with the config's client, as a user's would.
        Path config = dir.resolve("hangar.json");
        Files.writeString(config, "{\"clients\": {\"cli-user\": \"cli-secret\"}}");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        try (ImageServer images = new ImageServer();
             HangarProcess hangar = new HangarProcess(dir.resolve("data"), "--delete-grace", "1", "--max-image-size", "200mib",
                     "--config", config.toString()).start()) {
            String url = hangar.base();
            String signed = "--config=" + config;
            Path image = TestImages.directBoot();
            String imageUrl = images.serve("/direct-boot.tar.gz", image);
            try {
                // Unsigned (a config without clients), a write is refused: the service's code, exit status 1.
                Files.writeString(dir.resolve("empty.json"), "{}");
                Result unsigned = plain("vm", "create", "--url", url, "--image", imageUrl, "--checksum", "00".repeat(32),
                        "--config", dir.resolve("empty.json").toString());
                assertEquals(1, unsigned.status, unsigned.output);
                assertTrue(unsigned.output.startsWith("hangar: oauth-missing: "), unsigned.output);

                // No terminal (a pipe): no progress, only the error, and exit status 1.
                Result failed = plain("vm", "create", signed, "--url", url, "--image", imageUrl, "--checksum", "00".repeat(32), "--wait");
                assertEquals(1, failed.status, failed.output);
                assertTrue(failed.output.startsWith("hangar: image-checksum-mismatch: "), failed.output);
                assertEquals(1, failed.output.strip().lines().count(), failed.output);

                tmux("new-session", "-d", "-x", "160", "-y", "40", "-s", "cli", "sleep 3600");

                // In a terminal: one line that updates, then the VM's id and address.
                Window create = run("create", "vm", "create", signed, "--url", url, "--image", imageUrl, "--checksum", TestImages.sha256(image),
                        "--memory", "256", "--name", "cli-guest", "--tag", "by=cli", "--wait");
                Set<String> progress = new LinkedHashSet<>();
                Screen done = create.await(Duration.ofMinutes(4), screen -> {
                    for (String line : screen.lines) {
                        if (line.matches("(queued|downloading|converting|booting|waiting for address) .*\\d+%.*\\d+s")) {
                            progress.add(line.replaceAll("\\s+\\S+$", "")); // without its ticking time
                        }
                    }
                });
                assertEquals(0, done.status, done.text());
                List<String> shown = done.nonEmptyLines();
                Matcher m = DONE.matcher(shown.getLast());
                assertTrue(m.matches(), done.text());
                assertEquals(1, shown.size(), "the progress line is replaced, not followed, by the result:\n" + done.text());
                assertTrue(progress.stream().anyMatch(l -> l.startsWith("waiting for address") || l.startsWith("booting")),
                        "progress seen: " + progress);
                System.out.println("---- progress lines seen ----\n" + String.join("\n", progress) + "\n---- create ----\n" + done.text());
                String id = m.group(1);
                String ip = m.group(3);

                Screen list = run("list", "vm", "list", signed, "--url", url, "--tag", "by=cli").await(Duration.ofSeconds(60), s -> { });
                assertEquals(0, list.status, list.text());
                List<String> table = list.nonEmptyLines();
                assertTrue(table.getFirst().matches("ID +NAME +STATUS +IP +IMAGE +AGE"), list.text());
                assertTrue(table.get(1).matches(Pattern.quote(id) + " +cli-guest +powered-on +" + Pattern.quote(ip)
                        + " +direct-boot\\.tar\\.gz +\\d+[smh]"), list.text());
                assertEquals(2, table.size(), list.text());
                System.out.println("---- list ----\n" + list.text());

                // The serial console, followed: the guest prints its address a moment after its lease; Ctrl-C ends it.
                Window console = run("console", "vm", "console", signed, "cli-guest", "--follow", "--url", url);
                console.awaitText("HANGAR-GUEST-READY " + ip, Duration.ofSeconds(60));
                tmux("send-keys", "-t", "cli:console", "C-c");
                assertEquals(130, console.await(Duration.ofSeconds(30), s -> { }).status); // 128 + SIGINT

                // Attached: keys typed in the terminal reach the guest's shell and its answer comes back live; Ctrl-] detaches.
                Window attached = run("attach", "vm", "console", signed, "cli-guest", "--attach", "--url", url);
                attached.awaitText("Ctrl-] detaches", Duration.ofSeconds(60));
                tmux("send-keys", "-t", "cli:attach", "-l", "echo ATTACHED-$((40+2))");
                tmux("send-keys", "-t", "cli:attach", "Enter");
                attached.awaitText("ATTACHED-42", Duration.ofSeconds(60));
                tmux("send-keys", "-t", "cli:attach", "C-]");
                Screen detached = attached.await(Duration.ofSeconds(30), s -> { });
                assertEquals(0, detached.status, detached.text());
                assertTrue(detached.text().contains("Detached from the console of VM " + id), detached.text());
                System.out.println("---- vm console --attach ----\n" + detached.text());

                // Every named VM is a host of the staging agent's face: the one guest, running, with its address.
                Screen hosts = run("hosts", "host", "list", signed, "--url", url).await(Duration.ofSeconds(60), s -> { });
                assertEquals(0, hosts.status, hosts.text());
                assertTrue(hosts.nonEmptyLines().getFirst().matches("NAME +STATE +ID +MEMORY +DISKS +NETWORKS +IP"), hosts.text());
                assertTrue(hosts.nonEmptyLines().get(1).matches("cli-guest +running +1 +256 MiB +- +\\S+ +" + Pattern.quote(ip)), hosts.text());
                System.out.println("---- host list ----\n" + hosts.text());

                // vm ssh runs the system's ssh at the VM's address. The test guest has no sshd, only httpd on port 80:
                // ssh reaches it there, finds no SSH banner, and its status (255) is the command's.
                Screen ssh = run("ssh", "vm", "ssh", signed, "cli-guest", "--url", url, "--port", "80", "--", "true")
                        .await(Duration.ofSeconds(60), s -> { });
                assertEquals(255, ssh.status, ssh.text());
                assertTrue(ssh.text().contains(ip) && ssh.text().contains("port 80"), ssh.text());
                System.out.println("---- vm ssh (to httpd) ----\n" + ssh.text());

                // Networks and templates: defined, listed, shown, deleted; none of them boots anything.
                assertEquals(List.of("created network vlan:77"), screen("net-create", "network", "create", signed, "vlan:77", "--bridge", "hgcli0",
                        "--vlan", "77", "--url", url).nonEmptyLines());
                Screen networks = screen("net-list", "network", "list", signed, "--url", url);
                assertEquals(List.of("NAME     BRIDGE  VLAN  SUBNET  STATE", "vlan:77  hgcli0  77    -       active"), networks.nonEmptyLines());
                assertTrue(screen("net-show", "network", "show", signed, "vlan:77", "-o", "json", "--url", url).text()
                        .contains("\"bridge\" : \"hgcli0\""));
                assertEquals(List.of("deleted network vlan:77"), screen("net-delete", "network", "delete", signed, "vlan:77", "--url", url).nonEmptyLines());
                Screen noNetwork = screen("net-gone", "network", "show", signed, "vlan:77", "--url", url);
                assertEquals(1, noNetwork.status);
                assertTrue(noNetwork.text().startsWith("hangar: network-not-found: "), noNetwork.text());

                assertEquals(List.of("created template cli-web"), screen("tpl-create", "template", "create", signed, "cli-web", "--image", imageUrl,
                        "--checksum", TestImages.sha256(image), "--memory", "256", "--tag", "ssh_user=tc", "--url", url).nonEmptyLines());
                Screen templates = screen("tpl-list", "template", "list", signed, "--url", url);
                assertEquals(2, templates.nonEmptyLines().size(), templates.text());
                assertTrue(templates.nonEmptyLines().get(1).matches("cli-web +direct-boot\\.tar\\.gz +- +256mib +- +\\S+ +ssh_user=tc +\\d+s"),
                        templates.text());
                System.out.println("---- template list ----\n" + templates.text());
                assertTrue(screen("tpl-show", "template", "show", signed, "cli-web", "--url", url).text().contains(imageUrl));
                assertEquals(List.of("deleted template cli-web"), screen("tpl-delete", "template", "delete", signed, "cli-web", "--url", url).nonEmptyLines());

                // Power, by name: suspended and resumed (the guest answers again), stopped by its power button
                // (the guest's acpid powers it off) and started again (it boots its disk and answers at its address).
                assertEquals(List.of(id + " suspended"), screen("suspend", "vm", "suspend", signed, "cli-guest", "--url", url).nonEmptyLines());
                assertEquals(List.of(id + " powered-on"), screen("resume", "vm", "resume", signed, "cli-guest", "--url", url).nonEmptyLines());
                assertTrue(Guests.page(ip).startsWith("hangar-guest-ok"));
                Screen stopped = screen("stop", "vm", "stop", signed, "cli-guest", "--timeout", "45", "--url", url);
                assertEquals(List.of(id + " powered-off"), stopped.nonEmptyLines(), stopped.text());
                assertEquals(List.of(id + " powered-on"), screen("start", "vm", "start", signed, "cli-guest", "--url", url).nonEmptyLines());
                assertTrue(Guests.page(ip).startsWith("hangar-guest-ok"), "the started VM answers at its address again");
                // A command in the guest through its agent: its output, and its exit code as the CLI's.
                Screen uname = screen("exec", "vm", "exec", signed, "cli-guest", "--url", url, "--", "cat", "/www/index.html");
                assertEquals(0, uname.status, uname.text());
                assertTrue(uname.text().contains("hangar-guest-ok"), uname.text());
                Screen failing = screen("exec-3", "vm", "exec", signed, "cli-guest", "--url", url, "--", "sh", "-c", "echo to-stderr >&2; exit 3");
                assertEquals(3, failing.status, failing.text());
                assertTrue(failing.text().contains("to-stderr"), failing.text());
                Screen notStopped = screen("resume-running", "vm", "suspend", signed, "no-such-vm", "--url", url);
                assertEquals(1, notStopped.status);
                assertTrue(notStopped.text().startsWith("hangar: vm-not-found: "), notStopped.text());

                Screen delete = run("delete", "vm", "delete", signed, "cli-guest", "--wait", "--url", url).await(Duration.ofMinutes(2), s -> { });
                assertEquals(0, delete.status, delete.text());
                assertEquals(List.of("deleted " + id), delete.nonEmptyLines());

                Screen gone = run("gone", "vm", "show", signed, "cli-guest", "--url", url).await(Duration.ofSeconds(60), s -> { });
                assertEquals(1, gone.status, gone.text());
                assertTrue(gone.text().startsWith("hangar: vm-not-found: "), gone.text());

                // A blank host (no install, no image) boots and waits for PXE: created, listed, deleted, once the guest above is gone.
                assertEquals(List.of("created host pxe1"), screen("host-create", "host", "create", signed, "pxe1", "--memory", "64", "--disk", "1",
                        "--network", "nat", "--url", url).nonEmptyLines());
                Screen pxe = screen("host-list", "host", "list", signed, "--url", url);
                assertTrue(pxe.nonEmptyLines().get(1).matches("pxe1 +running +1 +64 MiB +1G +nat +\\S+"), pxe.text());
                assertEquals(List.of("deleting host pxe1"), screen("host-delete", "host", "delete", signed, "pxe1", "--url", url).nonEmptyLines());
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                Result hostGone;
                do {
                    hostGone = plain("host", "show", signed, "pxe1", "--url", url);
                } while (hostGone.status == 0 && System.nanoTime() < until);
                assertEquals(1, hostGone.status, hostGone.output);
                assertTrue(hostGone.output.startsWith("hangar: host-not-found: "), hostGone.output);

                Screen usage = run("usage", "vm", "create", "--url", url, "--checksum", "ab").await(Duration.ofSeconds(60), s -> { });
                assertEquals(2, usage.status, usage.text());
                assertTrue(usage.text().contains("Missing required option: '--image=URL'"), usage.text());
            } finally {
                try {
                    tmux("kill-server");
                } catch (Exception ignored) {
                    // no server was started
                }
                System.out.println("---- service log ----\n" + hangar.log());
                Processes.endDaemons(hangar.dataDir());
            }
        }
    }

    /** A command in its own window, to its end (a minute at most). */
    private Screen screen(String name, String... args) throws Exception {
        return run(name, args).await(Duration.ofSeconds(60), s -> { });
    }

    private record Result(int status, String output) {}

    /** The CLI with its output on a pipe, not a terminal. */
    private Result plain(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(java, "-jar", jar));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        return new Result(p.exitValue(), out);
    }

    private record Screen(List<String> lines, int status) {
        String text() {
            return String.join("\n", nonEmptyLines());
        }

        List<String> nonEmptyLines() {
            return lines.stream().filter(l -> !l.isBlank() && !l.startsWith("Pane is dead")).map(String::stripTrailing).collect(Collectors.toList());
        }
    }

    private final class Window {
        private final String target;
        private final Path status;

        Window(String name) {
            this.target = "cli:" + name;
            this.status = dir.resolve(name + ".status");
        }

        void awaitText(String text, Duration timeout) throws Exception {
            long until = System.nanoTime() + timeout.toNanos();
            String screen = "";
            while (System.nanoTime() < until) {
                screen = tmux("capture-pane", "-p", "-J", "-S", "-", "-t", target);
                if (screen.contains(text)) return;
                Thread.sleep(200);
            }
            throw new AssertionError("no " + text + " on the screen after " + timeout + ":\n" + screen);
        }

        /** Reads the screen every 100 ms, handing each to {@code watch}, until the command has exited. */
        Screen await(Duration timeout, java.util.function.Consumer<Screen> watch) throws Exception {
            long until = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < until) {
                String exit = Files.exists(status) ? Files.readString(status).strip() : "";
                // tmux reads the terminal's output on its own time: give it a moment after the command ended.
                if (!exit.isEmpty()) Thread.sleep(500);
                List<String> lines = tmux("capture-pane", "-p", "-t", target).lines().toList();
                if (!exit.isEmpty()) return new Screen(lines, Integer.parseInt(exit));
                watch.accept(new Screen(lines, -1));
                Thread.sleep(100);
            }
            throw new AssertionError("still running after " + timeout + ":\n" + tmux("capture-pane", "-p", "-t", target));
        }
    }

    /**
     * The CLI in a new tmux window, as someone would type it. Its exit status goes to a file: tmux 3.3's
     * #{pane_dead_status} stayed empty here (the server left the exited JVM a zombie, unreaped, and
     * raced a quick exit), so the shell that ran it says it instead.
     */
    private Window run(String name, String... args) throws Exception {
        Window window = new Window(name);
        // A handler (not an ignore, which the JVM would inherit) keeps the shell alive through a Ctrl-C to say the status.
        StringBuilder command = new StringBuilder("export XDG_CONFIG_HOME='" + dir.resolve("config") + "'; trap : INT; '" + java + "' -jar '" + jar + "'");
        for (String a : args) command.append(" '").append(a).append("'");
        // The shell stays after the command, keeping the screen: with remain-on-exit alone, tmux 3.3 here
        // sometimes marked the pane dead before reading the command's last output, and lost it.
        command.append("; echo $? > '").append(window.status).append("'; exec sleep 3600");
        tmux("new-window", "-d", "-t", "cli", "-n", name, command.toString());
        return window;
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        return out;
    }
}
