package dev.hangar.api.imagefactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A build's template as readers see it: no root password, no secrets in its URLs. */
class FactoryJsonTest {
    @Test
    void aTemplatesRootPasswordIsHidden() {
        String shown = FactoryJson.shownTemplate(Tdl.parse(TdlTest.SEED));

        assertTrue(shown.contains("<rootpw>***</rootpw>"), shown);
        assertFalse(shown.contains("p@55w0rd"), shown);
        assertEquals("f14jeos", Tdl.parse(shown).name(), "what is shown is TDL still");
    }

    @Test
    void theSecretsOfItsUrlsAreHidden() {
        String shown = FactoryJson.shownTemplate(Tdl.parse(TdlTest.DEBIAN.replace("http://deb.debian.org/debian bookworm-updates",
                "https://u:p@repo.example.org/debian?token=abc bookworm-updates")));

        assertTrue(shown.contains("https://***@repo.example.org/debian?token=***"), shown);
        assertFalse(shown.contains("token=abc"), shown);
    }
}
