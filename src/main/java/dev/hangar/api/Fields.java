package dev.hangar.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.VmRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading request fields the way every face does: a field of the wrong type is a 400 with the face's
 * code for that field, never a 500. Null and absent both mean "not given".
 */
public final class Fields {
    private Fields() {}

    public static boolean present(JsonNode n) {
        return n != null && !n.isNull();
    }

    public static Integer optionalInt(JsonNode body, String field, String code) {
        JsonNode n = body.get(field);
        if (!present(n)) return null;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw HangarException.invalid(code, field + " must be a whole number");
        return n.intValue();
    }

    public static Boolean optionalBoolean(JsonNode body, String field, String code) {
        JsonNode n = body.get(field);
        if (!present(n)) return null;
        if (!n.isBoolean()) throw HangarException.invalid(code, field + " must be true or false");
        return n.booleanValue();
    }

    public static String optionalString(JsonNode body, String field, String code) {
        JsonNode n = body.get(field);
        if (!present(n)) return null;
        if (!n.isTextual()) throw HangarException.invalid(code, field + " must be a string");
        return n.textValue();
    }

    public static String requiredString(JsonNode body, String field, String code) {
        String s = optionalString(body, field, code);
        if (s == null) throw HangarException.invalid(code, field + " is required");
        return s;
    }

    public static List<String> optionalStrings(JsonNode body, String field, String code) {
        JsonNode n = body.get(field);
        if (!present(n)) return null;
        if (!n.isArray()) throw HangarException.invalid(code, field + " must be a list of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw HangarException.invalid(code, field + " must be a list of strings");
            out.add(e.textValue());
        }
        return out;
    }

    public static List<Long> optionalLongs(JsonNode body, String field, String code) {
        JsonNode n = body.get(field);
        if (!present(n)) return null;
        if (!n.isArray()) throw HangarException.invalid(code, field + " must be a list of whole numbers");
        List<Long> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isIntegralNumber() || !e.canConvertToLong()) throw HangarException.invalid(code, field + " must be a list of whole numbers");
            out.add(e.longValue());
        }
        return out;
    }

    public static Map<String, String> optionalTags(JsonNode body, String field, String code) {
        JsonNode n = body.get(field);
        return present(n) ? strings(n, field, code) : null;
    }

    /** An object whose values are all strings, e.g. tags; what names it in the message. */
    public static Map<String, String> strings(JsonNode n, String what, String code) {
        if (!n.isObject()) throw HangarException.invalid(code, what + " must be an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : n.properties()) {
            if (!e.getValue().isTextual()) throw HangarException.invalid(code, what + " must be an object of strings");
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /**
     * What an image object boots: {@code {"library": NAME}} names a VM folder of the library, anything
     * else is the OS X Builder's {url, checksum, checksum_type}.
     */
    public static BootSource bootImage(JsonNode image) {
        if (image.isObject() && image.has("library")) {
            JsonNode name = image.get("library");
            if (!name.isTextual()) throw HangarException.invalid("invalid-library-name", "image.library must be a string");
            return new BootSource.Library(VmRequest.checkedLibraryName(name.textValue()));
        }
        return new BootSource.Image(image(image));
    }

    /** Memory as an IEC string ("1gib", "512MiB") or a whole number of MiB; null when not given. */
    public static Long optionalMemoryMib(JsonNode body, String field) {
        JsonNode m = body.get(field);
        if (!present(m)) return null;
        if (m.isTextual()) return MemorySize.parseMib(m.textValue());
        if (m.isIntegralNumber() && m.canConvertToLong()) return MemorySize.checkedRange(m.longValue());
        throw HangarException.invalid("invalid-memory", field + " must be an IEC string like \"1gib\" or a whole number of MiB");
    }

    /** {@code ?tag=k=v} filters: each names one tag that must match. 400 invalid-tag-filter for one without '='. */
    public static Map<String, String> tagFilter(List<String> filters) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String f : filters) {
            int eq = f.indexOf('=');
            if (eq <= 0) throw HangarException.invalid("invalid-tag-filter", "a tag filter is KEY=VALUE, not \"" + f + "\"");
            out.put(f.substring(0, eq), f.substring(eq + 1));
        }
        return out;
    }

    /** The OS X Builder's image object {url, checksum, checksum_type}, which other faces take too. */
    public static ImageRef image(JsonNode image) {
        if (!image.isObject()) throw HangarException.invalid("invalid-image", "image must be an object with url, checksum and checksum_type");
        return new ImageRef(imageText(image, "url", "invalid-image-url"), imageText(image, "checksum", "invalid-checksum"),
                ChecksumType.parse(imageText(image, "checksum_type", "invalid-checksum-type")));
    }

    private static String imageText(JsonNode obj, String field, String code) {
        JsonNode v = obj.get(field);
        if (!present(v)) return null;
        if (!v.isTextual()) throw HangarException.invalid(code, "image." + field + " must be a string");
        return v.textValue();
    }
}
