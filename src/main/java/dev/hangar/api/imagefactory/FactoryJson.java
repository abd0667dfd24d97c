package dev.hangar.api.imagefactory;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.core.RedactedUrl;
import dev.hangar.core.builds.FactoryImage;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.FactoryImage.Kind;
import dev.hangar.core.builds.FactoryImage.Status;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The image factory's JSON shapes: v2's BaseImage / TargetImage / ProviderImage (wrapped in their
 * singular name) and v1's image / build / target_image / builder objects with their status words.
 */
final class FactoryJson {
    private FactoryJson() {}

    static String wrapper(Kind kind) {
        return switch (kind) {
            case BASE -> "base_image";
            case TARGET -> "target_image";
            case PROVIDER -> "provider_image";
        };
    }

    static String collection(Kind kind) {
        return wrapper(kind) + "s";
    }

    static String href(String base, FactoryImage i) {
        return href(base, i.kind(), i.id());
    }

    static String href(String base, Kind kind, UUID id) {
        return base + "/imagefactory/" + collection(kind) + "/" + id;
    }

    /**
     * A build's template as anyone who may read the build sees it, in TDL: the root password is
     * {@code ***}, and so are the secrets of its URLs (a repository's token). The build keeps the
     * template it was given.
     */
    static String shownTemplate(ImageTemplate template) {
        if (template == null) return null;
        boolean hasPassword = template.os() != null && template.os().rootPassword() != null;
        return RedactedUrl.inText(Tdl.write(hasPassword ? template.withRootPassword("***") : template));
    }

    /** v2: the object itself; relations are the caller's to add. */
    static ObjectNode v2(String base, FactoryImage i) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("_type", switch (i.kind()) {
            case BASE -> "BaseImage";
            case TARGET -> "TargetImage";
            case PROVIDER -> "ProviderImage";
        });
        o.put("id", i.id().toString());
        o.put("href", href(base, i));
        o.put("status", i.status().name());
        o.put("percent_complete", i.percent());
        ObjectNode detail = o.putObject("status_detail");
        detail.put("activity", i.activity());
        if (i.error() != null) detail.put("error", i.error().code() + ": " + i.error().message());
        else detail.putNull("error");
        o.put("template", shownTemplate(i.template()));
        o.putNull("icicle");
        ObjectNode parameters = o.putObject("parameters");
        i.parameters().forEach((k, v) -> parameters.put(k, RedactedUrl.inText(v)));
        ObjectNode properties = o.putObject("properties");
        if (i.target() != null) o.put("target", i.target());
        if (i.provider() != null) {
            o.put("provider", i.provider().type());
            ObjectNode settings = o.putObject("provider_settings");
            i.provider().settings().forEach((k, v) -> settings.put(k, RedactedUrl.inText(v))); // credentials are never shown
        }
        if (i.published() != null) {
            o.put("identifier_on_provider", i.published().identifier());
            i.published().properties().forEach(properties::put);
            // Ready to paste into a /vms body (the hangar provider's url, checksum and checksum_type).
            i.published().properties().forEach(o::put);
        }
        o.put("created", i.createdAt().toString());
        o.put("updated", i.updatedAt().toString());
        return o;
    }

    static ObjectNode wrapped(String base, FactoryImage i) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set(wrapper(i.kind()), v2(base, i));
        return o;
    }

    static ObjectNode link(String base, Kind kind, UUID id) {
        return Json.MAPPER.createObjectNode().put("_type", switch (kind) {
            case BASE -> "BaseImage";
            case TARGET -> "TargetImage";
            case PROVIDER -> "ProviderImage";
        }).put("id", id.toString()).put("href", href(base, kind, id));
    }

    static ArrayNode list(String base, List<FactoryImage> images) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        images.forEach(i -> a.add(v2(base, i)));
        return a;
    }

    // ---- v1 --------------------------------------------------------------------------------------

    /** v1's status words: COMPLETED where v2 says COMPLETE, the rest the same. */
    static String v1Status(Status s) {
        return s == Status.COMPLETE ? "COMPLETED" : s.name();
    }

    /** v1's builder object: one per target image (operation build) or provider image (operation push). */
    static ObjectNode builder(String base, FactoryImage i, String href) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", v1Status(i.status()));
        o.put("_type", "builder");
        o.put("completed", i.percent());
        if (i.published() != null) o.put("provider_account_identifier", i.published().identifier());
        else o.putNull("provider_account_identifier");
        o.put("image_id", String.valueOf(i.baseImage()));
        o.put("href", href);
        o.put("operation", i.kind() == Kind.PROVIDER ? "push" : "build");
        o.put("id", i.id().toString());
        o.put("build_id", String.valueOf(i.baseImage()));
        o.put("target", i.target());
        if (i.provider() != null) o.put("provider", i.provider().type());
        else o.putNull("provider");
        if (i.kind() == Kind.PROVIDER) o.put("target_image_id", i.targetImage().toString());
        else o.putNull("target_image_id");
        if (i.error() != null) o.put("error", i.error().code() + ": " + i.error().message());
        return o;
    }

    static ObjectNode v1Status(String type, FactoryImage i, String href) {
        return Json.MAPPER.createObjectNode().put("status", v1Status(i.status())).put("_type", type).put("href", href)
                .put("id", i.id().toString());
    }

    static String kindWord(Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
