package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTest {
    @TempDir
    Path tmp;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void withTheQemusGroupItWalksToImagesAndVmsAndNobodyElseEntersAtAll() throws Exception {
        assumeTrue(dev.hangar.process.Privileges.root(), "setting a group needs root");
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("builds"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x")); // as an earlier package made it

        DataDirectory.secure(data, Optional.of(4242));

        assertEquals("rwx--x---", mode(data), "root's; the group walks in; nobody else enters");
        assertEquals(4242, Files.getAttribute(data, "unix:gid"));
        for (String walked : new String[] {"images", "vms", "installers"}) {
            assertEquals("rwx--x---", mode(data.resolve(walked)), walked);
            assertEquals(4242, Files.getAttribute(data.resolve(walked), "unix:gid"), walked);
        }
        assertEquals("rwx------", mode(data.resolve("builds")), "what only the service reads is closed to the QEMUs too");
    }

    @Test
    void withoutItOthersMayPassButListNothing() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));

        DataDirectory.secure(data, Optional.empty());

        assertEquals("rwx--x--x", mode(data));
        assertEquals("rwx--x--x", mode(data.resolve("vms")), "walked by libvirt's QEMU user, listed by nobody else");
    }
}
