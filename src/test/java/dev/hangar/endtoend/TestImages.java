package dev.hangar.endtoend;

import dev.hangar.process.Command;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Guest images built at test time from Debian's packages (src/test/images/build-*), never downloaded.
 * Built once per run into target/test-images.
 */
final class TestImages {
    private static final Path DIR = Path.of("target", "test-images").toAbsolutePath();

    private TestImages() {}

    /** A Hangar manifest image: decompressed kernel + busybox initramfs, direct boot in about 4 s. */
    static synchronized Path directBoot() throws IOException {
        return build("build-direct-boot-image", "direct-boot.tar.gz");
    }

    /** A VMware-style box: tar.gz of a .vmwarevm folder with a .vmx and an MBR + syslinux .vmdk. */
    static synchronized Path vmwareBox() throws IOException {
        return build("build-vmware-box", "hangar-test-vmware.tar.gz");
    }

    /**
     * A VMware box whose two disks sit on one controller (ide, sata, lsilogic, lsisas1068, pvscsi, nvme)
     * and whose initramfs drives only that controller (and the seed's CD-ROM, and its NIC): see
     * src/test/images/build-vmware-box.
     */
    static synchronized Path vmwareBox(String controller) throws IOException {
        return build("build-vmware-box", "hangar-test-vmware-" + controller + ".tar.gz", controller);
    }

    /** A tiny network installer (src/test/images/build-test-installer): a directory with linux and initrd.gz. */
    static synchronized Path installer() throws IOException {
        return build("build-test-installer", "installer");
    }

    private static Path build(String script, String name, String... args) throws IOException {
        Path out = DIR.resolve(name);
        if (Files.exists(out)) return out;
        Files.createDirectories(DIR);
        List<String> argv = new java.util.ArrayList<>(List.of(Path.of("src", "test", "images", script).toAbsolutePath().toString(), out.toString()));
        argv.addAll(List.of(args));
        Command.check(argv, Duration.ofMinutes(5));
        return out;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
