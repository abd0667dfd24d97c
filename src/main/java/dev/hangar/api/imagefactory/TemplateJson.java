package dev.hangar.api.imagefactory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.ImageTemplate.Encoding;
import dev.hangar.core.builds.ImageTemplate.InstallType;
import dev.hangar.core.builds.TemplateSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A request's {@code template}: TDL XML, the same content as JSON (below), the id of an earlier image
 * (its template is used), or an http(s) URL of a TDL document. The JSON form follows TDL's elements:
 * {@code {"name", "description", "os": {"name", "version", "arch", "install": {"type": "url", "url"}
 * | {"type": "iso", "iso"}, "rootpw"}, "packages": ["name", ...], "files": [{"name", "type", "content"}],
 * "commands": [{"name", "command"}], "repositories": [{"name", "url", "signed"}], "disk": {"size"}}}.
 */
final class TemplateJson {
    private TemplateJson() {}

    static TemplateSource source(JsonNode template) {
        if (template == null || template.isNull()) return null;
        if (template.isObject()) return new TemplateSource.Inline(parse(template));
        String text = template.asText().strip();
        if (text.startsWith("<")) return new TemplateSource.Inline(Tdl.parse(text));
        if (text.startsWith("{")) {
            try {
                return new TemplateSource.Inline(parse(Json.MAPPER.readTree(text)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw ImageTemplate.invalid("template", "not valid JSON: " + e.getOriginalMessage());
            }
        }
        if (text.matches("(?i)https?://\\S+")) return new TemplateSource.AtUrl(text);
        try {
            return new TemplateSource.OfImage(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            throw ImageTemplate.invalid("template", "a template is TDL XML, JSON, an image's id or a URL; this is none of them");
        }
    }

    static ImageTemplate parse(JsonNode t) {
        JsonNode os = t.path("os");
        ImageTemplate.Os theOs = null;
        if (os.isObject()) {
            JsonNode install = os.path("install");
            InstallType type = null;
            String location = null;
            if (install.isObject()) {
                String ty = install.path("type").asText("url").toLowerCase(Locale.ROOT);
                type = switch (ty) {
                    case "url" -> InstallType.URL;
                    case "iso" -> InstallType.ISO;
                    default -> throw ImageTemplate.invalid("os/install", "type must be url or iso, not \"" + ty + "\"");
                };
                location = text(install, type == InstallType.URL ? "url" : "iso");
            }
            theOs = new ImageTemplate.Os(text(os, "name"), text(os, "version"), text(os, "arch"), type, location, text(os, "rootpw"));
        }
        List<String> packages = new ArrayList<>();
        for (JsonNode p : t.path("packages")) packages.add(xml(p.isObject() ? p.path("name").asText() : p.asText(), "packages/package"));
        List<ImageTemplate.TemplateFile> files = new ArrayList<>();
        for (JsonNode f : t.path("files")) {
            String type = f.path("type").asText("raw").toLowerCase(Locale.ROOT);
            Encoding e = switch (type) {
                case "raw" -> Encoding.RAW;
                case "base64" -> Encoding.BASE64;
                case "url" -> Encoding.URL;
                default -> throw ImageTemplate.invalid("files/file", "type must be raw, base64 or url, not \"" + type + "\"");
            };
            files.add(new ImageTemplate.TemplateFile(text(f, "name"), e, text(f, "content")));
        }
        List<ImageTemplate.TemplateCommand> commands = new ArrayList<>();
        for (JsonNode c : t.path("commands")) {
            commands.add(c.isObject() ? new ImageTemplate.TemplateCommand(text(c, "name"), text(c, "command"))
                    : new ImageTemplate.TemplateCommand(null, xml(c.asText(), "commands/command")));
        }
        List<ImageTemplate.Repository> repositories = new ArrayList<>();
        for (JsonNode r : t.path("repositories")) {
            repositories.add(new ImageTemplate.Repository(text(r, "name"), text(r, "url"), r.path("signed").asBoolean(false)));
        }
        Long size = null;
        JsonNode s = t.path("disk").path("size");
        if (!s.isMissingNode() && !s.isNull()) {
            if (!s.canConvertToLong() && !s.asText().matches("\\d{1,18}[Gg]?")) throw ImageTemplate.invalid("disk/size", "the size is a whole number of GB");
            size = s.isNumber() ? s.asLong() : Long.parseLong(s.asText().replaceAll("[Gg]$", ""));
        }
        return new ImageTemplate(text(t, "name"), text(t, "description"), theOs, packages, files, commands, repositories, size).validated();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isValueNode()) throw HangarException.invalid("invalid-template", "<" + field + ">: must be a string");
        return xml(v.asText(), field);
    }

    /**
     * The factory keeps every template as TDL, so its text must be what XML 1.0 can hold: no control
     * characters but tab and line ends, no lone surrogates, no U+FFFE or U+FFFF.
     */
    private static String xml(String text, String field) {
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            boolean allowed = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
            if (!allowed) {
                throw ImageTemplate.invalid(field, String.format("U+%04X at character %d is not allowed in a template (XML 1.0 cannot hold it)", c, i));
            }
            i += Character.charCount(c);
        }
        return text;
    }
}
