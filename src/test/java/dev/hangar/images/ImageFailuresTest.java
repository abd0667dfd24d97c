package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hangar.core.HangarException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/** How a failure of this host is reported: a full disk has a code of its own, the rest is image-store-failed. */
class ImageFailuresTest {
    @Test
    void aFullDiskOrAUsedUpQuotaIsDiskFullWhereverItIsInTheCauses() {
        HangarException full = ImageFailures.storeFailed("cannot write", new IOException("No space left on device"));
        assertEquals("disk-full", full.code());
        assertEquals(HangarException.Kind.UNAVAILABLE, full.kind(), "not INTERNAL: a creation keeps the code instead of vm-create-failed");
        assertEquals("disk-full", ImageFailures.storeFailed("cannot write",
                new UncheckedIOException(new FileSystemException("/data/images/x", null, "Disk quota exceeded"))).code());
    }

    @Test
    void otherFailuresOfThisHostStayImageStoreFailed() {
        HangarException denied = ImageFailures.storeFailed("cannot write", new FileSystemException("/data/images/x", null, "Permission denied"));
        assertEquals("image-store-failed", denied.code());
        assertEquals(HangarException.Kind.INTERNAL, denied.kind());
        assertEquals("image-store-failed", ImageFailures.storeFailed("cannot publish", null).code());
    }
}
