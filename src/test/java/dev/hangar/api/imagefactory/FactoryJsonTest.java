package dev.hangar.api.imagefactory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A build's template as readers see it: no root password, no secrets in its URLs. */
class FactoryJsonTest {
    @Test
    void aTdlsRootPasswordIsHiddenInXmlAndInJson() {
        assertEquals("<template><os><name>Debian</name><rootpw>***</rootpw></os></template>",
                FactoryJson.shownTemplate("<template><os><name>Debian</name><rootpw>hunter2</rootpw></os></template>"));
        assertEquals("<os><RootPW type=\"x\">***</rootpw ></os>", FactoryJson.shownTemplate("<os><RootPW type=\"x\">a\nb</rootpw ></os>"));
        assertEquals("{\"os\": {\"rootpw\": \"***\", \"name\": \"Debian\"}}",
                FactoryJson.shownTemplate("{\"os\": {\"rootpw\": \"p\\\"w\", \"name\": \"Debian\"}}"));
    }

    @Test
    void theSecretsOfItsUrlsAreHidden() {
        assertEquals("<repository><url>https://***@repo.example.org/debian?token=***</url></repository>",
                FactoryJson.shownTemplate("<repository><url>https://u:p@repo.example.org/debian?token=abc</url></repository>"));
    }
}
