package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What `hangar vm list`, `image list` and friends print: aligned columns, "-" for nothing, short ages and sizes. */
class TableTest {
    private static final Instant NOW = Instant.parse("2026-11-30T08:00:00Z");

    @Test
    void columnsAreAlignedTwoSpacesApartWithoutTrailingBlanks() {
        String t = new Table("id", "name", "ip").row("a1", "web-server-1", "10.213.0.5").row("b22", "", null).render();
        assertEquals("""
                ID   NAME          IP
                a1   web-server-1  10.213.0.5
                b22  -             -
                """, t);
    }

    @Test
    void aRowOfTheWrongWidthIsAMistake() {
        assertThrows(IllegalArgumentException.class, () -> new Table("a", "b").row("only one"));
    }

    @Test
    void vmListShowsIdNameStatusIpImageAndAge() throws Exception {
        JsonNode vms = HangarClient.JSON.readTree("""
                [{"id": "0f8e2c1a-1111-2222-3333-444455556666", "name": "web1", "status": "powered-on", "ip_address": "10.213.0.7",
                  "image": {"url": "http://images.test/debian-12.tar.gz?x=1", "checksum": "ab", "checksum_type": "sha256"},
                  "created_at": "2026-11-30T07:57:30Z"},
                 {"id": "9a9a9a9a-1111-2222-3333-444455556666", "status": "creating", "ip_address": "",
                  "image": {"library": "macos"}, "created_at": "2026-11-28T07:00:00Z"}]
                """);
        assertEquals("""
                ID                                    NAME  STATUS      IP          IMAGE             AGE
                0f8e2c1a-1111-2222-3333-444455556666  web1  powered-on  10.213.0.7  debian-12.tar.gz  2m
                9a9a9a9a-1111-2222-3333-444455556666  -     creating    -           library:macos     2d
                """, VmCommand.ListVms.table(vms, NOW));
    }

    @Test
    void imageListSaysSizesAndTheCachesTotal() throws Exception {
        JsonNode answer = HangarClient.JSON.readTree("""
                {"images": [{"key": "sha256-ab12", "bytes": 41943040, "last_used": "2026-11-30T07:00:00Z", "vms": 2}],
                 "bytes": 41943040, "limit_bytes": 10737418240}
                """);
        assertEquals("""
                KEY          SIZE      VMS  LAST USED
                sha256-ab12  40.0 MiB  2    1h ago
                total 40.0 MiB of 10.0 GiB
                """, ImageCommand.ListImages.table(answer, NOW));
    }

    @Test
    void durationsAgesAndSizesReadShort() {
        assertEquals("0s", Formats.duration(Duration.ZERO));
        assertEquals("42s", Formats.duration(Duration.ofSeconds(42)));
        assertEquals("3m05s", Formats.duration(Duration.ofSeconds(185)));
        assertEquals("2h10m", Formats.duration(Duration.ofMinutes(130)));
        assertEquals("-", Formats.age("not a time", NOW));
        assertEquals("-", Formats.age("", NOW));
        assertEquals("512 B", Formats.bytes(512));
        assertEquals("1.5 KiB", Formats.bytes(1536));
    }
}
