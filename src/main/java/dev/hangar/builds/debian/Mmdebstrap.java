package dev.hangar.builds.debian;

import dev.hangar.core.builds.ImageTemplate;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * mmdebstrap's argument list for a new root file system: variant minbase (Essential packages and apt)
 * plus what a machine needs to boot by itself and reach the network, plus the template's packages,
 * from the archive and the template's extra repositories. Everything here is an argument of its own:
 * package names joined by commas only after checking they hold no comma or space, sources as whole
 * one-line entries.
 */
final class Mmdebstrap {
    /**
     * What every image gets beyond minbase: a kernel and its initramfs tools, systemd as init with udev
     * (which loads the drivers for the hardware found, in the initramfs too), and ifupdown with ISC's
     * DHCP client, which writes /etc/resolv.conf from the lease itself (DNS without a resolver daemon).
     * ifupdown prefers dhclient on every release offered here.
     */
    static final List<String> BASE_PACKAGES =
            List.of("linux-image-amd64", "initramfs-tools", "systemd-sysv", "udev", "ifupdown", "isc-dhcp-client");
    private static final Pattern PACKAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9+.:=~-]*");

    private Mmdebstrap() {}

    /**
     * The host's argument list. Runs in a mount and PID namespace of its own (see NewRoot): whatever
     * mmdebstrap mounts inside the root is gone with it, even when it is killed. setupTree is copied
     * into the root before any package is installed (the initramfs settings must be there before the
     * kernel's package makes the first initramfs).
     */
    static List<String> argv(DebianRelease release, URI archive, List<ImageTemplate.Repository> repositories,
                             List<String> templatePackages, URI aptProxy, Path setupTree, Path root) {
        List<String> argv = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                "--kill-child", "mmdebstrap", "--verbose", "--mode=root", "--format=directory", "--variant=minbase",
                "--architectures=amd64", "--components=main", "--include=" + String.join(",", packages(templatePackages, archive, repositories)),
                // dpkg's fsync per file makes this several times slower here, and the root is copied into
                // the image at the end anyway; removed from the image with apt's settings (cleanUp)
                "--dpkgopt=force-unsafe-io",
                "--setup-hook=sync-in " + shellWord(setupTree.toString()) + " /"));
        if (aptProxy != null) {
            argv.add("--aptopt=Acquire::http::Proxy \"" + aptProxy + "\"");
            argv.add("--aptopt=Acquire::https::Proxy \"" + aptProxy + "\"");
        }
        argv.add(release.suite());
        argv.add(root.toString());
        argv.add(archive.toString());
        for (ImageTemplate.Repository repository : repositories) argv.add(sourceLine(repository, release));
        return argv;
    }

    /** The base packages, then the template's, each once; ca-certificates when a source is https. */
    static List<String> packages(List<String> templatePackages, URI archive, List<ImageTemplate.Repository> repositories) {
        Set<String> all = new LinkedHashSet<>(BASE_PACKAGES);
        boolean https = archive.getScheme().equals("https")
                || repositories.stream().anyMatch(r -> r.url().strip().toLowerCase(Locale.ROOT).startsWith("https:"));
        if (https) all.add("ca-certificates");
        for (String name : templatePackages) {
            if (!PACKAGE.matcher(name).matches()) throw BuildFailures.failed("not a package name: " + name);
            all.add(name);
        }
        return List.copyOf(all);
    }

    /**
     * A template repository as a one-line apt source. Its url is "URL [SUITE [COMPONENT...]]": the suite
     * defaults to the release's, the components to main. An unsigned repository is marked trusted; a
     * signed one must be signed by a key the host's apt trusts.
     */
    static String sourceLine(ImageTemplate.Repository repository, DebianRelease release) {
        String text = repository.url() == null ? "" : repository.url().strip();
        if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw BuildFailures.failed("repository " + repository.name() + ": the url holds a control character");
        }
        String[] words = text.split("\\s+");
        URI url = httpUri(words[0], "repository " + repository.name());
        String suite = words.length > 1 ? words[1] : release.suite();
        List<String> components = words.length > 2 ? List.of(words).subList(2, words.length) : List.of("main");
        return "deb " + (repository.signed() ? "" : "[trusted=yes] ") + url + " " + suite + " " + String.join(" ", components);
    }

    /**
     * The archive's root from a TDL install url: an archive ("http://deb.debian.org/debian") as is, an
     * installer tree inside one (".../debian/dists/bookworm/main/installer-amd64/") cut at /dists/.
     */
    static URI archiveRoot(String installUrl) {
        String text = installUrl.strip();
        int dists = text.indexOf("/dists/");
        if (dists > 0) text = text.substring(0, dists);
        return httpUri(text, "the install url");
    }

    static URI httpUri(String text, String what) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) return uri;
        } catch (URISyntaxException e) {
            // fall through to the refusal
        }
        throw BuildFailures.failed(what + " is not an http or https URL: " + text);
    }

    /** A word for Perl's shellwords, which mmdebstrap uses to split its special hooks (not a shell). */
    static String shellWord(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
