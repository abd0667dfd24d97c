package dev.hangar.core.builds;

import dev.hangar.core.HangarException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What an image build makes: Image Factory's template (Oz's TDL), as the core holds it whichever form
 * it came in (TDL XML or the same content as JSON). An OS is named and versioned as in TDL
 * ({@code Debian} {@code 12} or {@code bookworm}); {@code MockOS_*} is Image Factory's test OS, which
 * builds a small fake image at once.
 */
public record ImageTemplate(String name, String description, Os os, List<String> packages, List<TemplateFile> files,
                            List<TemplateCommand> commands, List<Repository> repositories, Long diskSizeGib) {
    public static final long MAX_DISK_GIB = 2048;
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]{0,127}(:[a-z0-9-]+)?(=[A-Za-z0-9.+:~-]+)?");

    public enum InstallType { URL, ISO }

    public enum Encoding { RAW, BASE64, URL }

    /** The OS to install; installLocation is the install tree's (or ISO's) URL. */
    public record Os(String name, String version, String arch, InstallType installType, String installLocation, String rootPassword) {
        /** Image Factory's MockOS plugin: OS names MockOS_A, MockOS_B. */
        public boolean isMock() {
            return name != null && name.startsWith("MockOS");
        }
    }

    /** A file to put into the image: its content as given (raw), base64, or fetched from a URL at build time. */
    public record TemplateFile(String path, Encoding encoding, String content) {}

    /** A command run inside the new system's root, in order, after its packages and files. */
    public record TemplateCommand(String name, String text) {}

    /** An extra package repository: for Debian, an apt source ("URL SUITE COMPONENTS..."). */
    public record Repository(String name, String url, boolean signed) {}

    public ImageTemplate {
        packages = List.copyOf(packages == null ? List.of() : packages);
        files = List.copyOf(files == null ? List.of() : files);
        commands = List.copyOf(commands == null ? List.of() : commands);
        repositories = List.copyOf(repositories == null ? List.of() : repositories);
    }

    /** The same template with this root password (a reader shown the template sees {@code ***}). */
    public ImageTemplate withRootPassword(String password) {
        Os o = new Os(os.name(), os.version(), os.arch(), os.installType(), os.installLocation(), password);
        return new ImageTemplate(name, description, o, packages, files, commands, repositories, diskSizeGib);
    }

    /**
     * Checks what every template must hold; the message names the element at fault (as TDL calls it),
     * and the code is invalid-template.
     */
    public ImageTemplate validated() {
        require(name != null && !name.isBlank() && name.length() <= 255, "name", "the template needs a name of 1 to 255 characters");
        require(os != null, "os", "the template needs an os");
        require(os.name() != null && !os.name().isBlank(), "os/name", "os needs a name");
        require(os.version() != null && !os.version().isBlank(), "os/version", "os needs a version");
        require(os.arch() != null, "os/arch", "os needs an arch");
        String arch = os.arch().toLowerCase(Locale.ROOT);
        require(arch.equals("x86_64") || arch.equals("amd64") || arch.equals("i386") || arch.equals("aarch64") || arch.equals("arm64"),
                "os/arch", "arch must be x86_64, i386 or aarch64, not " + os.arch());
        require(os.installType() != null, "os/install", "os needs an install element of type url or iso");
        if (!os.isMock()) {
            require(os.installLocation() != null && os.installLocation().matches("(?i)https?://\\S+"), "os/install",
                    "the install " + (os.installType() == InstallType.ISO ? "iso" : "url") + " must be an http or https URL");
        }
        for (String p : packages) require(PACKAGE.matcher(p).matches(), "packages/package", "not a package name: " + p);
        for (TemplateFile f : files) {
            require(f.path() != null && f.path().startsWith("/") && !f.path().contains("/../") && !f.path().endsWith("/..")
                    && !f.path().contains("\0"), "files/file", "a file's name must be an absolute path inside the image: " + f.path());
            require(f.content() != null, "files/file", "file " + f.path() + " has no content");
            if (f.encoding() == Encoding.URL) {
                require(f.content().strip().matches("(?i)https?://\\S+"), "files/file", "file " + f.path() + " must name an http or https URL");
            }
            if (f.encoding() == Encoding.BASE64) {
                try {
                    java.util.Base64.getDecoder().decode(f.content().replaceAll("\\s", ""));
                } catch (IllegalArgumentException e) {
                    throw invalid("files/file", "file " + f.path() + " is not valid base64");
                }
            }
        }
        for (TemplateCommand c : commands) require(c.text() != null && !c.text().isBlank(), "commands/command", "a command is empty");
        for (Repository r : repositories) {
            require(r.url() != null && r.url().matches("(?i)https?://\\S+.*"), "repositories/repository", "a repository needs an http or https url");
        }
        require(diskSizeGib == null || (diskSizeGib >= 1 && diskSizeGib <= MAX_DISK_GIB), "disk/size",
                "the disk size must be 1 to " + MAX_DISK_GIB + " GiB");
        return this;
    }

    private static void require(boolean ok, String element, String message) {
        if (!ok) throw invalid(element, message);
    }

    /** 400 invalid-template; the message starts with the element at fault. */
    public static HangarException invalid(String element, String message) {
        return HangarException.invalid("invalid-template", "<" + element + ">: " + message);
    }
}
