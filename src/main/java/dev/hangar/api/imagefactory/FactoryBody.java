package dev.hangar.api.imagefactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A request body as Image Factory's clients send it: form-encoded ({@code targets=mock&template=...},
 * curl -d), or JSON, bare or wrapped in one key ({@code {"image": {...}}} from the aeolus client,
 * {@code {"base_image": {...}}} in v2). Either way the face reads one flat JSON object.
 */
final class FactoryBody {
    private FactoryBody() {}

    /** The body's fields; a body wrapped in one key whose value is an object is unwrapped. 400 missing-parameters when empty. */
    static ObjectNode read(Exchange ex) throws IOException {
        byte[] bytes = ex.bodyBytes("invalid-body");
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        String type = ex.header("Content-Type") == null ? "" : ex.header("Content-Type").toLowerCase(Locale.ROOT);
        ObjectNode body;
        if (type.startsWith("application/json") || (!type.startsWith("application/x-www-form-urlencoded") && text.startsWith("{"))) {
            try {
                JsonNode node = Json.MAPPER.readTree(text);
                if (node == null || !node.isObject()) throw HangarException.invalid("invalid-body", "the body must be a JSON object");
                body = (ObjectNode) node;
            } catch (JsonProcessingException e) {
                throw HangarException.invalid("invalid-body", "the body is not valid JSON: " + e.getOriginalMessage());
            }
            if (body.size() == 1 && body.properties().iterator().next().getValue().isObject()) {
                body = (ObjectNode) body.properties().iterator().next().getValue();
            }
        } else {
            body = form(text);
        }
        if (body.isEmpty()) throw HangarException.invalid("missing-parameters", "the body names nothing to do");
        return body;
    }

    /** application/x-www-form-urlencoded, each value as a string. */
    static ObjectNode form(String text) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (text.isEmpty()) return body;
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                body.put(key, value);
            } catch (IllegalArgumentException e) {
                throw HangarException.invalid("invalid-body", "malformed form field: " + pair);
            }
        }
        return body;
    }

    /** A text field, or null; an object or list given where a string belongs is written out as JSON. */
    static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        return n.isValueNode() ? n.asText() : n.toString();
    }
}
