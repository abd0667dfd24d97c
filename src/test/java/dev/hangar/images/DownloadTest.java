package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsServer;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.outbound.OutboundHttpClient;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.outbound.OutboundTls;
import dev.hangar.testing.ImageServer;
import dev.hangar.testing.TestCa;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The codes a download ends with when the outbound client refuses it or TLS fails, against real servers on loopback. */
class DownloadTest {
    static final OutboundPolicy POLICY = new OutboundPolicy(List.of(), List.of(), "/imagefactory/published");
    static final byte[] BOX = "a box".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    static String read(HttpClient http, String url) {
        try (DownloadStream in = Download.open(http, url, ChecksumType.SHA256, 1 << 20, Duration.ofSeconds(10))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aDownloadOverTlsNeedsItsServersCaInTheBundle() throws Exception {
        TestCa ca = new TestCa();
        HttpsServer https = ca.httpsServer(exchange -> {
            exchange.sendResponseHeaders(200, BOX.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BOX);
            }
        });
        try {
            String url = "https://127.0.0.1:" + https.getAddress().getPort() + "/box.tar.gz";
            HttpClient withBundle = OutboundHttpClient.fetching(POLICY, OutboundTls.context(ca.writeBundle(dir.resolve("ca.pem"))));
            assertEquals("a box", read(withBundle, url));

            HttpClient without = OutboundHttpClient.fetching(POLICY, OutboundTls.context(null));
            HangarException e = assertThrows(HangarException.class, () -> read(without, url));
            assertEquals("image-tls-failed", e.code());
            assertTrue(e.getMessage().contains("--ca-bundle"), e.getMessage());
        } finally {
            https.stop(0);
        }
    }

    @Test
    void aRedirectToARefusedAddressIsImageUrlForbidden() {
        try (ImageServer server = new ImageServer()) {
            String url = server.redirect("/box.tar.gz", "http://[::ffff:169.254.169.254]/latest/meta-data/");
            HangarException e = assertThrows(HangarException.class,
                    () -> read(OutboundHttpClient.fetching(POLICY, OutboundTls.context(null)), url));
            assertEquals("image-url-forbidden", e.code());
            assertTrue(e.getMessage().contains("169.254.169.254"), e.getMessage());
        }
    }
}
