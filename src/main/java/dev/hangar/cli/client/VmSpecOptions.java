package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options that say what a VM is, written once for every command that makes one or its template
 * ({@code vm create}, {@code template create}, {@code host create}), and how each goes into the API's body.
 */
final class VmSpecOptions {
    private VmSpecOptions() {}

    /** An image by URL and checksum: a mixin where it is the only source, an argument group where there are others. */
    static final class Image {
        @Option(names = "--image", required = true, paramLabel = "URL", description = "the image's URL (an archive or a disk image)")
        String url;

        @Option(names = "--checksum", required = true, paramLabel = "HEX", description = "the image's checksum, hex")
        String checksum;

        @Option(names = "--checksum-type", paramLabel = "TYPE", defaultValue = "sha256", description = "sha256 (default), sha512, sha1 or md5")
        String checksumType;

        void putInto(ObjectNode body) {
            body.putObject("image").put("url", url).put("checksum", checksum).put("checksum_type", checksumType);
        }
    }

    /** Virtual CPUs and tags: every kind of VM has them. */
    static final class Shape {
        @Option(names = "--cpus", paramLabel = "N", description = "virtual CPUs")
        Integer cpus;

        @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "a tag (repeatable)")
        List<String> tags = new ArrayList<>();

        void putCpus(ObjectNode body) {
            if (cpus != null) body.put("cpus", cpus);
        }

        Map<String, String> tags(CommandLine commandLine) {
            return VmSpecOptions.tags(tags, commandLine);
        }
    }

    /** Memory as a size and cloud-init user-data: a guest booted from an image has them. */
    static final class Guest {
        @Option(names = "--memory", paramLabel = "SIZE", description = "memory: 512MiB, 2GiB, or a whole number of MiB")
        String memory;

        @Option(names = "--user-data", paramLabel = "FILE", description = "cloud-init user-data for the guest")
        Path userData;

        /** --memory as the API takes it: a whole number is MiB (a JSON number), anything else a size string ("2GiB"). */
        void putMemory(ObjectNode body) {
            if (memory == null) return;
            if (memory.matches("[0-9]+")) body.put("memory", Long.parseLong(memory));
            else body.put("memory", memory);
        }

        /** The text of the --user-data file, or null without one; an unreadable file is a usage error. */
        String userData(CommandLine commandLine) {
            if (userData == null) return null;
            try {
                return Files.readString(userData);
            } catch (IOException e) {
                throw new ParameterException(commandLine, "cannot read --user-data " + userData + ": " + e.getMessage());
            }
        }
    }

    /** KEY=VALUE options as a map; one without '=' is a usage error. */
    static Map<String, String> tags(List<String> pairs, CommandLine commandLine) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) throw new ParameterException(commandLine, "--tag takes KEY=VALUE, not " + p);
            tags.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return tags;
    }
}
