package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.ChecksumType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The download's checksum is computed as the bytes stream past, however they are read. */
class StreamingChecksumTest {
    static DownloadStream stream(byte[] body, ChecksumType type, long max) throws Exception {
        return new DownloadStream(new ByteArrayInputStream(body), URI.create("http://example.test/x"),
                MessageDigest.getInstance(type.algorithm()), max, java.time.Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @CsvSource({
            "MD5, 900150983cd24fb0d6963f7d28e17f72",
            "SHA1, a9993e364706816aba3e25717850c26c9cd0d89d",
            "SHA256, ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "SHA512, ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"})
    void digestsKnownBytes(ChecksumType type, String expected) throws Exception {
        DownloadStream s = stream("abc".getBytes(StandardCharsets.US_ASCII), type, 100);
        s.drain();
        assertEquals(expected, s.hexDigest());
        assertEquals(3, s.bytesRead());
    }

    @Test
    void everyByteCountsOnceWhetherReadSkippedOrDrained() throws Exception {
        byte[] body = new byte[200_000];
        for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 31);
        DownloadStream s = stream(body, ChecksumType.SHA256, body.length);

        s.read();
        s.readNBytes(new byte[1000], 0, 1000);
        s.skip(50_000);
        s.drain();

        assertEquals(TestDisks.hex(ChecksumType.SHA256, body), s.hexDigest());
        assertEquals(body.length, s.bytesRead());
    }

    @Test
    void moreThanTheLimitIsTooLarge() throws Exception {
        DownloadStream s = stream(new byte[1001], ChecksumType.MD5, 1000);
        HangarException e = assertThrows(HangarException.class, s::drain);
        assertEquals("image-too-large", e.code());
    }

    @Test
    void aBrokenConnectionIsADownloadFailure() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        DownloadStream s = new DownloadStream(broken, URI.create("http://example.test/x"), md5(), 1000, java.time.Duration.ofSeconds(5));
        HangarException e = assertThrows(HangarException.class, s::drain);
        assertEquals("image-download-failed", e.code());
        assertEquals(true, e.getMessage().contains("connection reset"), e.getMessage());
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
