package dev.hangar.builds.debian;

import dev.hangar.core.builds.BuildProgress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The new system's root directory and the one way into it. Whatever runs there runs chrooted, in a
 * private mount namespace that has the new system's own /proc (gone with the process, so nothing stays
 * mounted under the build's work directory) and in a PID namespace of its own with {@code --kill-child}:
 * a daemon a command leaves behind ends when the command does, and ending unshare ends them all.
 * Files are written from inside too, so a path resolves as the new system sees it: a symlink the
 * packages or a command made never leads to a file of the host.
 */
final class NewRoot {
    /**
     * The fixed script that writes stdin to the file $1 (parents made as needed) and, when $2 is not empty,
     * gives it mode $2. Paths and modes are arguments of the script, never part of its text.
     */
    static final String WRITE_SCRIPT =
            "umask 022 && mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\" && { [ -z \"$2\" ] || chmod -- \"$2\" \"$1\"; }";

    private final Path dir;

    NewRoot(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** The host's argument list that runs argvInside (a path in the new system first) inside the root. */
    List<String> inside(List<String> argvInside) {
        List<String> argv = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                "--kill-child", "--mount-proc=" + dir.resolve("proc"), "chroot", dir.toString()));
        argv.addAll(argvInside);
        return argv;
    }

    /** A program of the new system, run inside it. */
    BuildProcess program(String what, String... argvInside) {
        return new BuildProcess(what, inside(List.of(argvInside)));
    }

    /**
     * A template's command: its text is given to the new system's own /bin/sh as one argument, the way a
     * command is meant (a script of that system), and is never read by a shell of the host.
     */
    BuildProcess shell(String what, String text) {
        return new BuildProcess(what, inside(List.of("/bin/sh", "-c", text)));
    }

    /** Writes bytes to a path of the new system; mode (octal, "0755") or null to keep what umask 022 or the file gives. */
    void write(String path, byte[] content, String mode, BuildProgress progress) {
        writer(path, mode).input(content).timeout(Duration.ofMinutes(5)).run(progress);
    }

    void write(String path, String content, String mode, BuildProgress progress) {
        write(path, content.getBytes(StandardCharsets.UTF_8), mode, progress);
    }

    /** Writes a file of the host (a download) to a path of the new system. */
    void writeFrom(String path, Path source, BuildProgress progress) {
        writer(path, null).inputFile(source).timeout(Duration.ofMinutes(30)).run(progress);
    }

    private BuildProcess writer(String path, String mode) {
        return new BuildProcess("writing " + path, inside(List.of("/bin/sh", "-c", WRITE_SCRIPT, "hangar-write", path,
                mode == null ? "" : mode)));
    }
}
