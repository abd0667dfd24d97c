package dev.hangar.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import org.junit.jupiter.api.Test;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/** XML from clients and images is parsed with limits of Hangar's own, the same on every JDK. */
class SafeXmlTest {
    private static String nested(int depth) {
        return "<a>".repeat(depth) + "x" + "</a>".repeat(depth);
    }

    private static org.w3c.dom.Document parse(String xml) throws Exception {
        return SafeXml.builder(false).parse(new InputSource(new StringReader(xml)));
    }

    @Test
    void aDocumentNestedPastTheLimitIsRefusedOnEveryJdk() throws Exception {
        assertEquals("a", parse(nested(SafeXml.MAX_DEPTH)).getDocumentElement().getTagName());
        SAXException deep = assertThrows(SAXException.class, () -> parse(nested(SafeXml.MAX_DEPTH + 1)));
        assertTrue(deep.getMessage().contains("64"), deep.getMessage());
        assertThrows(SAXException.class, () -> parse(nested(100_000)), "and no stack is spent on a deep one");
    }

    @Test
    void noDoctypeSoNoEntityOfAnyKind() {
        assertThrows(SAXException.class, () -> parse("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>"));
        assertThrows(SAXException.class, () -> parse("<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>"));
    }
}
