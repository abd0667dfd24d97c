package dev.hangar.api.imagefactory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;

/**
 * Provider credentials as Image Factory's clients send them: a JSON object ({@code {"username",
 * "password"}}), or the seed's XML ({@code <provider_credentials><oci_credentials><username>...}),
 * whose leaf elements become the keys. Never stored.
 */
final class Credentials {
    private Credentials() {}

    static Map<String, String> parse(JsonNode c) {
        Map<String, String> out = new LinkedHashMap<>();
        if (c == null || c.isNull()) return out;
        if (c.isObject()) {
            c.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
            return out;
        }
        String text = c.asText().strip();
        if (text.isEmpty()) return out;
        if (text.startsWith("{")) {
            try {
                return parse(Json.MAPPER.readTree(text));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw HangarException.invalid("invalid-credentials", "credentials are not valid JSON: " + e.getOriginalMessage());
            }
        }
        if (!text.startsWith("<")) throw HangarException.invalid("invalid-credentials", "credentials are a JSON object or the XML form");
        try {
            var b = dev.hangar.core.SafeXml.builder(false);
            leaves(b.parse(new InputSource(new StringReader(text))).getDocumentElement(), out);
            return out;
        } catch (Exception e) {
            throw HangarException.invalid("invalid-credentials", "credentials are not well-formed XML: " + e.getMessage());
        }
    }

    private static void leaves(Element e, Map<String, String> out) {
        boolean hasChildElements = false;
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element child) {
                hasChildElements = true;
                leaves(child, out);
            }
        }
        if (!hasChildElements) out.put(e.getTagName(), e.getTextContent().strip());
    }
}
