package dev.hangar.builds.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The way into the new root: argument lists only, the template's text one argument given to the new
 * system's /bin/sh, paths resolved inside the root. Run for real in a tiny root of Debian's static busybox.
 */
class DebianNewRootTest {
    // Quotes, a command substitution, a glob, a variable and a comment: all must reach the new system's sh as written.
    private static final String TEMPLATE_TEXT = "echo \"$(echo inside) $HOME\" > /out; touch '/host-side-$(id -u)' # * ; rm -rf /";

    @TempDir
    Path dir;

    private NewRoot root;

    @BeforeEach
    void tinyRoot() throws IOException {
        Path r = dir.resolve("root");
        Files.createDirectories(r.resolve("bin"));
        Files.createDirectories(r.resolve("proc"));
        Files.createDirectories(r.resolve("etc"));
        Files.copy(Path.of("/bin/busybox"), r.resolve("bin/busybox"));
        for (String applet : List.of("sh", "mkdir", "dirname", "cat", "chmod", "echo", "touch", "sleep", "id")) {
            Files.createSymbolicLink(r.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        root = new NewRoot(r);
    }

    @Test
    void aTemplateCommandIsOneArgumentOfTheNewSystemsShellAndNoHostShellRuns() {
        List<String> argv = root.shell("command 1", TEMPLATE_TEXT).argv();
        assertEquals(List.of("unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
                "--mount-proc=" + root.dir().resolve("proc"), "chroot", root.dir().toString(), "/bin/sh", "-c", TEMPLATE_TEXT), argv);
        assertEquals(1, Collections.frequency(argv, TEMPLATE_TEXT));
        assertTrue(argv.stream().filter(a -> !a.equals(TEMPLATE_TEXT)).noneMatch(a -> a.contains("$(") || a.contains("rm -rf")));
    }

    @Test
    void theCommandRunsInsideTheRootAsWritten() throws IOException {
        root.shell("command 1", TEMPLATE_TEXT).run(Processes.NEVER_CANCELLED);
        assertEquals("inside /root\n", Files.readString(root.dir().resolve("out")));
        assertTrue(Files.exists(root.dir().resolve("host-side-$(id -u)")), "the quoted name is literal, inside the root");
        assertTrue(Files.exists(root.dir().resolve("bin/busybox")), "the comment did not run");
        assertFalse(Files.exists(Path.of("/out")));
    }

    @Test
    void aFailingCommandFailsTheBuildWithItsOutput() {
        HangarException e = assertThrows(HangarException.class,
                () -> root.shell("command 2 (setup)", "echo preparing; echo 'no such thing' >&2; exit 7").run(Processes.NEVER_CANCELLED));
        assertEquals("build-failed", e.code());
        assertEquals("command 2 (setup) failed (exit 7):\npreparing\nno such thing", e.getMessage());
    }

    @Test
    void aDaemonACommandLeavesBehindEndsWithIt() throws IOException {
        root.shell("command 1", "sleep 621.25 & echo started > /started").timeout(Duration.ofSeconds(30)).run(Processes.NEVER_CANCELLED);
        assertTrue(Files.exists(root.dir().resolve("started")));
        assertTrue(Processes.goneWithin("sleep 621.25", Duration.ofSeconds(10)), "its PID namespace ended with the command");
        assertFalse(Processes.anyMountUnder(root.dir()), "its /proc was mounted in a mount namespace of its own");
    }

    @Test
    void filesAreWrittenAsTheNewSystemResolvesTheirPathsNeverThroughALinkToTheHost() throws IOException {
        Path hostFile = dir.resolve("host-file");
        Files.writeString(hostFile, "the host's\n");
        // an absolute link, as packages make them (/etc/localtime -> /usr/share/zoneinfo/...): it points into the root
        Files.createSymbolicLink(root.dir().resolve("etc/linked"), hostFile);
        Files.createDirectories(root.dir().resolve(hostFile.getParent().toString().substring(1)));

        root.write("/etc/linked", "written through the link\n", null, Processes.NEVER_CANCELLED);
        root.write("/opt/new dir/$(touch pwned) 'x'.txt", "odd name\n", "0640", Processes.NEVER_CANCELLED);

        assertEquals("the host's\n", Files.readString(hostFile), "the host's file is untouched");
        assertEquals("written through the link\n", Files.readString(root.dir().resolve(hostFile.toString().substring(1))));
        Path odd = root.dir().resolve("opt/new dir/$(touch pwned) 'x'.txt");
        assertEquals("odd name\n", Files.readString(odd));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(odd)));
        assertFalse(Files.exists(root.dir().resolve("pwned")) || Files.exists(Path.of("pwned")));
        List<String> argv = root.program("x", "true").argv();
        assertEquals("chroot", argv.get(8));
    }

    @Test
    void theWriterGetsThePathAsAnArgumentOfAFixedScript() {
        assertEquals("umask 022 && mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\" && { [ -z \"$2\" ] || chmod -- \"$2\" \"$1\"; }",
                NewRoot.WRITE_SCRIPT);
    }
}
