package dev.hangar.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.ImageTemplate.Encoding;
import dev.hangar.core.builds.ImageTemplate.InstallType;
import dev.hangar.core.builds.ImageTemplate.Os;
import dev.hangar.core.builds.ImageTemplate.Repository;
import dev.hangar.core.builds.ImageTemplate.TemplateCommand;
import dev.hangar.core.builds.ImageTemplate.TemplateFile;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A build's template as the factory_images table keeps it: the parsed template as JSON, field by field
 * (the column's form is this class's, not the record's). Rows written before version 7 hold the TDL
 * text the client sent; they are read by the TDL reader given at start (the Image Factory face's), and
 * written back as JSON at their next save.
 */
final class ImageTemplateJson {
    private static final ObjectMapper JSON = JsonColumns.JSON;

    private ImageTemplateJson() {}

    static String write(ImageTemplate t) {
        if (t == null) return null;
        ObjectNode o = JSON.createObjectNode().put("name", t.name()).put("description", t.description());
        if (t.os() != null) {
            Os os = t.os();
            o.putObject("os").put("name", os.name()).put("version", os.version()).put("arch", os.arch())
                    .put("install_type", os.installType() == null ? null : os.installType().name())
                    .put("install_location", os.installLocation()).put("root_password", os.rootPassword());
        }
        o.set("packages", JSON.valueToTree(t.packages()));
        ArrayNode files = o.putArray("files");
        for (TemplateFile f : t.files()) files.addObject().put("path", f.path()).put("encoding", f.encoding().name()).put("content", f.content());
        ArrayNode commands = o.putArray("commands");
        for (TemplateCommand c : t.commands()) commands.addObject().put("name", c.name()).put("text", c.text());
        ArrayNode repositories = o.putArray("repositories");
        for (Repository r : t.repositories()) repositories.addObject().put("name", r.name()).put("url", r.url()).put("signed", r.signed());
        if (t.diskSizeGib() != null) o.put("disk_size_gib", t.diskSizeGib());
        return o.toString();
    }

    static ImageTemplate read(String text, Function<String, ImageTemplate> legacyTdl) throws SQLException {
        if (text == null) return null;
        if (text.startsWith("<")) return legacyTdl.apply(text);
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable template column: " + e.getOriginalMessage(), e);
        }
        JsonNode os = o.path("os");
        Os parsedOs = os.isObject() ? new Os(text(os, "name"), text(os, "version"), text(os, "arch"),
                os.hasNonNull("install_type") ? InstallType.valueOf(os.get("install_type").asText()) : null,
                text(os, "install_location"), text(os, "root_password")) : null;
        List<String> packages = new ArrayList<>();
        o.path("packages").forEach(p -> packages.add(p.asText()));
        List<TemplateFile> files = new ArrayList<>();
        o.path("files").forEach(f -> files.add(new TemplateFile(text(f, "path"), Encoding.valueOf(f.get("encoding").asText()), text(f, "content"))));
        List<TemplateCommand> commands = new ArrayList<>();
        o.path("commands").forEach(c -> commands.add(new TemplateCommand(text(c, "name"), text(c, "text"))));
        List<Repository> repositories = new ArrayList<>();
        o.path("repositories").forEach(r -> repositories.add(new Repository(text(r, "name"), text(r, "url"), r.path("signed").asBoolean())));
        return new ImageTemplate(text(o, "name"), text(o, "description"), parsedOs, packages, files, commands, repositories,
                o.hasNonNull("disk_size_gib") ? o.get("disk_size_gib").asLong() : null);
    }

    private static String text(JsonNode o, String field) {
        return o.hasNonNull(field) ? o.get(field).asText() : null;
    }
}
