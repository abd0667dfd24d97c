package dev.hangar.builds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.outbound.OutboundHttpClient;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.outbound.OutboundTls;
import dev.hangar.testing.ImageServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Templates by URL through Hangar's outbound client, from a real server on loopback. */
class HttpTemplateFetcherTest {
    final HttpTemplateFetcher fetcher = new HttpTemplateFetcher(OutboundHttpClient.fetching(
            new OutboundPolicy(List.of(), List.of(), "/imagefactory/published"), OutboundTls.context(null)),
            text -> new ImageTemplate(text, null, null, null, null, null, null, null)); // the text, where the test can see it

    @Test
    void aTemplateIsFetchedThroughRedirectsButNotFromWhereHangarMustNotGo() {
        try (ImageServer server = new ImageServer()) {
            server.serve("/web.tdl", "<template/>".getBytes(StandardCharsets.UTF_8));
            assertEquals("<template/>", fetcher.fetch(server.redirect("/latest.tdl", "/web.tdl")).name());
            HangarException e = assertThrows(HangarException.class,
                    () -> fetcher.fetch(server.redirect("/meta.tdl", "http://2852039166/latest/user-data")));
            assertEquals("image-url-forbidden", e.code());
            assertTrue(e.getMessage().contains("2852039166"), e.getMessage());
        }
    }

    @Test
    void aTemplateOverOneMebibyteIsRefused() {
        try (ImageServer server = new ImageServer()) {
            String url = server.serve("/huge.tdl", new byte[(1 << 20) + 1]);
            HangarException e = assertThrows(HangarException.class, () -> fetcher.fetch(url));
            assertEquals("template-fetch-failed", e.code());
            assertTrue(e.getMessage().contains("larger than"), e.getMessage());
        }
    }
}
