package dev.hangar.images;

import dev.hangar.testing.ImageServer;
import static dev.hangar.images.Archives.charDevice;
import static dev.hangar.images.Archives.dir;
import static dev.hangar.images.Archives.fifo;
import static dev.hangar.images.Archives.file;
import static dev.hangar.images.Archives.hardlink;
import static dev.hangar.images.Archives.symlink;
import static dev.hangar.images.TestDisks.convert;
import static dev.hangar.images.TestDisks.rawDisk;
import static dev.hangar.images.TestDisks.read;
import static dev.hangar.images.TestDisks.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hangar.core.HangarException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Images from the internet are hostile until checked: nothing in one may write, link or read outside the
 * image. Each case is refused with image-unsafe-archive and leaves nothing behind, inside or outside.
 */
class ArchiveSafetyTest {
    static final byte[] DISK = TestDisks.rawDiskBytes(64 * 1024, 1);

    @TempDir Path tmp;
    Path images;
    ImageServer server;
    GoldImageStore store;

    @BeforeEach
    void setUp() {
        // The image is unpacked in tmp/a/images/.tmp-*/unpack: escapes of up to four levels land where we look.
        images = tmp.resolve("a/images");
        server = new ImageServer();
        store = new GoldImageStore(images, 64L << 20, HttpClient.newHttpClient());
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    static Stream<Arguments> hostileArchives() {
        return Stream.of(
                Arguments.of("tar: ../ in a name", Archives.tar(file("box/disk.img", DISK), file("../evil", "x"))),
                Arguments.of("tar: ../ deep in a name", Archives.tar(file("box/../../../evil", "x"))),
                Arguments.of("tar: absolute name", Archives.tar(file("/tmp/evil", "x"))),
                Arguments.of("tar: symlink to /etc", Archives.tar(symlink("etc", "/etc"), file("etc/evil", "x"))),
                Arguments.of("tar: symlink out by ..", Archives.tar(symlink("up", "../../.."))),
                Arguments.of("tar: hard link to /etc/passwd", Archives.tar(hardlink("passwd", "/etc/passwd"))),
                Arguments.of("tar: hard link out by ..", Archives.tar(hardlink("passwd", "../../../etc/passwd"))),
                Arguments.of("tar: character device", Archives.tar(file("disk.img", DISK), charDevice("null"))),
                Arguments.of("tar: FIFO", Archives.tar(fifo("pipe"))),
                // Each link looks harmless alone (x leads to the image root, and "a/b/c/d/x/../../../.." is "a" on
                // paper), but together l leads four levels above the image, to tmp: writing l/evil must be refused.
                Arguments.of("tar: chain of links", Archives.tar(dir("a/b/c/d"), symlink("a/b/c/d/x", "../../../.."),
                        symlink("l", "a/b/c/d/x/../../../.."), file("l/evil", "x"))),
                Arguments.of("tar.gz: ../ in a name", Archives.gzip(Archives.tar(file("../evil", "x")))),
                Arguments.of("zip: ../ in a name", Archives.zip(file("../evil", "x"))),
                Arguments.of("zip: backslash ..", Archives.zip(file("..\\evil", "x"))),
                Arguments.of("zip: absolute name", Archives.zip(file("/tmp/evil", "x"))),
                Arguments.of("zip: symlink to /etc", Archives.zip(symlink("etc", "/etc"))),
                Arguments.of("zip: character device", Archives.zip(charDevice("null"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileArchives")
    void hostileArchivesAreRefused(String what, byte[] body) throws Exception {
        HangarException e = assertThrows(HangarException.class, () -> store.obtain(ref(server.serve("/evil", body), body)));

        assertEquals("image-unsafe-archive", e.code(), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void namesLongerThanTheHostAllowsAreTheImagesFaultNotTheHosts() {
        // Found by the fuzz suite: these were image-store-failed, "this host failed", for a bad image.
        for (byte[] body : List.of(Archives.tar(file("x".repeat(300), "x")), Archives.tar(file("d/".repeat(2100) + "f", "x")),
                Archives.zip(file("x".repeat(300) + ".vmdk", "x")), Archives.tar(symlink("up", "x".repeat(5000))))) {
            HangarException e = assertThrows(HangarException.class, () -> store.obtain(ref(server.serve("/long-" + body.length, body), body)));

            assertEquals("image-format-unsupported", e.code(), e.getMessage());
        }
    }

    @Test
    void writingThroughLinksThatLoopIsRefused() throws Exception {
        // Found by the fuzz suite: the loop (ELOOP) was image-store-failed, a host failure.
        assertRefused(Archives.tar(symlink("up", "up/up/up"), file("up/evil", "x")));
        assertRefused(Archives.tar(symlink("a", "b"), symlink("b", "a"), file("a/evil", "x")));
    }

    @Test
    void aHardLinkToItselfIsRefused() throws Exception {
        // Found by the fuzz suite: replacing the entry's file deleted the link's own target (image-store-failed).
        assertRefused(Archives.tar(file("box/disk.img", DISK), hardlink("box/disk.img", "box/disk.img")));
    }

    @Test
    void aVmxNamingADiskOutsideTheImageIsRefused() throws Exception {
        Path outside = rawDisk(tmp, "outside.vmdk", 64 * 1024);
        byte[] body = Archives.tar(file("vm/box.vmx", "scsi0:0.fileName = \"" + outside + "\"\n"));

        assertRefused(body);
        byte[] relative = Archives.tar(file("vm/box.vmx", "scsi0:0.fileName = \"../../../../outside.vmdk\"\n"));
        assertRefused(relative);
    }

    @Test
    void aManifestNamingAFileOutsideTheImageIsRefused() throws Exception {
        assertRefused(Archives.tar(file("hangar.json", "{\"kernel\": \"/boot/vmlinuz\"}")));
        assertRefused(Archives.tar(file("img/hangar.json", "{\"disks\": [\"../../x.raw\"]}")));
    }

    @Test
    void aDiskWhoseBackingFileIsOnTheHostIsRefused() throws Exception {
        // A qcow2 based on a host file would copy that file into the gold image.
        Path secret = rawDisk(tmp, "host-secret.raw", 64 * 1024);
        Path overlay = tmp.resolve("evil.qcow2");
        TestDisks.qemuImg(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret.toString(), "-F", "raw", overlay.toString()));

        assertRefused(read(overlay));
    }

    @Test
    void aVmdkDescriptorWhoseExtentIsOnTheHostIsRefused() throws Exception {
        String descriptor = """
                # Disk DescriptorFile
                version=1
                CID=fffffffe
                parentCID=ffffffff
                createType="monolithicFlat"

                RW 128 FLAT "%s" 0
                """.formatted(rawDisk(tmp, "host-disk.raw", 64 * 1024));

        assertRefused(Archives.tar(file("disk.vmdk", descriptor)));
        assertRefused(Archives.tar(file("disk.vmdk", descriptor.replaceAll("\"/[^\"]*\"", "\"../../../host-disk.raw\""))));
    }

    @Test
    void aBackingFileNamedAsAQemuProtocolIsRefused() throws Exception {
        Path base = convert(rawDisk(tmp, "base.raw", 64 * 1024), "qcow2", tmp.resolve("base.qcow2"));
        Path overlay = tmp.resolve("proto.qcow2");
        TestDisks.qemuImg(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", overlay.toString()));
        TestDisks.qemuImg(List.of("qemu-img", "rebase", "-u", "-b", "json:{\"file.driver\":\"file\",\"file.filename\":\"" + base + "\"}",
                "-F", "qcow2", overlay.toString()));

        assertRefused(read(overlay));
    }

    private void assertRefused(byte[] body) throws Exception {
        HangarException e = assertThrows(HangarException.class, () -> store.obtain(ref(server.serve("/evil-" + body.length, body), body)));
        assertEquals("image-unsafe-archive", e.code(), e.getMessage());
        assertNothingLeft();
    }

    private void assertNothingLeft() throws Exception {
        try (Stream<Path> left = Files.list(images)) {
            assertEquals(List.of(), left.toList(), "nothing cached, no temp directory left");
        }
        for (Path p : List.of(tmp.resolve("evil"), tmp.resolve("a/evil"), tmp.resolve("a/images/evil"), Path.of("/tmp/evil"))) {
            assertFalse(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS), p + " was written");
        }
    }
}
