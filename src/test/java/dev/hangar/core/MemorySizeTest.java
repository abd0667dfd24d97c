package dev.hangar.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MemorySizeTest {
    @Test
    void acceptsTheSeedsExamplesInAnyCase() {
        assertEquals(1024, MemorySize.parseMib("1gib"));
        assertEquals(1024, MemorySize.parseMib("1024mib"));
        assertEquals(1024, MemorySize.parseMib("1048576kib"));
        assertEquals(1024, MemorySize.parseMib("1GiB"));
        assertEquals(2048, MemorySize.parseMib(" 2 GIB "));
    }

    @Test
    void acceptsDecimals() {
        assertEquals(1536, MemorySize.parseMib("1.5gib"));
        assertEquals(1024, MemorySize.parseMib("1.0gib"));
    }

    @Test
    void aBareNumberIsMib() {
        assertEquals(512, MemorySize.parseMib("512"));
    }

    @Test
    void normalisesToMib() {
        assertEquals("1024mib", MemorySize.format(MemorySize.parseMib("1gib")));
    }

    @Test
    void refusesWhatIsNotAnIecSize() {
        for (String bad : new String[] {"1gb", "lots", "-1gib", "1 gigabyte", "", "1.5.2gib", "0x10mib"}) {
            HangarException e = assertThrows(HangarException.class, () -> MemorySize.parseMib(bad), bad);
            assertEquals("invalid-memory", e.code());
            assertEquals(HangarException.Kind.INVALID, e.kind());
        }
    }

    @Test
    void refusesFractionsOfAMibAndSizesOutOfRange() {
        assertEquals("invalid-memory", assertThrows(HangarException.class, () -> MemorySize.parseMib("1000kib")).code());
        assertEquals("invalid-memory", assertThrows(HangarException.class, () -> MemorySize.parseMib("1mib")).code());
        assertEquals("invalid-memory", assertThrows(HangarException.class, () -> MemorySize.parseMib("2tib")).code());
        assertEquals("invalid-memory", assertThrows(HangarException.class, () -> MemorySize.checkedRange(0)).code());
    }

    @Test
    void aSizeBeyondALongIsOutOfRangeNotACrash() {
        HangarException e = assertThrows(HangarException.class, () -> MemorySize.parseMib("99999999999999999999gib"));
        assertEquals("invalid-memory", e.code());
        assertEquals(HangarException.Kind.INVALID, e.kind());
    }
}
