package dev.hangar.api.imagefactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.HttpRefusal;
import dev.hangar.api.Json;
import dev.hangar.core.HangarException;
import dev.hangar.core.builds.FactoryImage.Kind;
import dev.hangar.core.builds.FactoryImage;
import dev.hangar.core.builds.ImageFactory;
import dev.hangar.core.builds.ProviderPublisher;
import dev.hangar.core.builds.TemplateSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Image Factory's REST API, both versions, under {@code /imagefactory}: v1 (the seed: images, builds,
 * target images, provider images, builders) and v2 (base, target and provider images, flat and nested,
 * wrapped JSON, raw_image downloads). Translates to {@link ImageFactory}; nothing more.
 */
public final class ImageFactoryFace {
    static final String VERSION = "2.0";
    /** Where the hangar provider's images are served: PUBLISHED/ID/FILE. */
    public static final String PUBLISHED = "/imagefactory/published";

    /** Finds a file the hangar provider published, by its id and name; empty for anything else. */
    @FunctionalInterface
    public interface PublishedFiles {
        java.util.Optional<java.nio.file.Path> find(String id, String name);
    }

    private final ImageFactory factory;
    private final PublishedFiles published;

    public ImageFactoryFace(ImageFactory factory, PublishedFiles published) {
        this.factory = factory;
        this.published = published;
    }

    /**
     * Whether a path (decoded segments) is Image Factory's API, whose reads v2 protects with OAuth; the
     * published image files are not: Hangar's own downloads and /vms clients fetch them by URL, unsigned.
     */
    public static boolean isApiPath(List<String> segments) {
        return !segments.isEmpty() && segments.get(0).equals("imagefactory")
                && !(segments.size() > 1 && segments.get(1).equals("published"));
    }

    public void register(ApiServer s) {
        s.route("GET", "/imagefactory", ex -> ex.json(200, Json.MAPPER.createObjectNode().put("name", "imagefactory")
                .put("version", VERSION).put("api_version", VERSION)));
        // v2, flat
        for (Kind kind : Kind.values()) {
            String c = "/imagefactory/" + FactoryJson.collection(kind);
            s.route("POST", c, ex -> create(ex, kind, Map.of()));
            s.route("GET", c, ex -> listV2(ex, kind, null));
            s.route("GET", c + "/:id", ex -> getV2(ex, kind, id(ex, "id")));
            s.route("DELETE", c + "/:id", ex -> delete(ex, kind, id(ex, "id")));
            if (kind != Kind.PROVIDER) s.route("GET", c + "/:id/raw_image", ex -> raw(ex, kind, id(ex, "id")));
        }
        // v2, nested: the parent's id comes from the path
        s.route("POST", "/imagefactory/base_images/:b/target_images", ex -> create(ex, Kind.TARGET, Map.of("base_image_id", ex.pathParam("b"))));
        s.route("GET", "/imagefactory/base_images/:b/target_images", ex -> listV2(ex, Kind.TARGET, id(ex, "b")));
        s.route("GET", "/imagefactory/base_images/:b/target_images/:id", ex -> getV2(ex, Kind.TARGET, id(ex, "id")));
        s.route("DELETE", "/imagefactory/base_images/:b/target_images/:id", ex -> delete(ex, Kind.TARGET, id(ex, "id")));
        s.route("GET", "/imagefactory/base_images/:b/target_images/:id/raw_image", ex -> raw(ex, Kind.TARGET, id(ex, "id")));
        for (String prefix : List.of("/imagefactory/target_images/:t", "/imagefactory/base_images/:b/target_images/:t")) {
            s.route("POST", prefix + "/provider_images", ex -> create(ex, Kind.PROVIDER, Map.of("target_image_id", ex.pathParam("t"))));
            s.route("GET", prefix + "/provider_images", ex -> listV2(ex, Kind.PROVIDER, id(ex, "t")));
            s.route("GET", prefix + "/provider_images/:id", ex -> getV2(ex, Kind.PROVIDER, id(ex, "id")));
            s.route("DELETE", prefix + "/provider_images/:id", ex -> delete(ex, Kind.PROVIDER, id(ex, "id")));
        }
        s.route("GET", PUBLISHED + "/:id/:name", ex -> ex.file(published.find(ex.pathParam("id"), ex.pathParam("name"))
                .orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "nothing is published as "
                        + ex.pathParam("id") + "/" + ex.pathParam("name"))), "application/octet-stream"));
        V1 v1 = new V1();
        s.route("POST", "/imagefactory/images", v1::create);
        s.route("PUT", "/imagefactory/images/:i", v1::create);
        String build = "/imagefactory/images/:i/builds/:b";
        s.route("GET", build + "/target_images/:t", ex -> v1.builder(ex, "t", "target_image_status", false));
        s.route("GET", build + "/target_images/:t/status", ex -> v1.builder(ex, "t", "target_image_status", true));
        s.route("POST", build + "/target_images/:t/provider_images", v1::push);
        // POST /imagefactory/provider_images is both v1's and v2's: the v2 handler answers in both shapes.
        s.route("GET", build + "/target_images/:t/provider_images/:p", ex -> v1.builder(ex, "p", "provider_image_status", false));
        s.route("GET", build + "/target_images/:t/provider_images/:p/status", ex -> v1.builder(ex, "p", "provider_image_status", true));
        s.route("GET", "/imagefactory/builders", v1::builders);
        s.route("GET", "/imagefactory/builders/:id", ex -> v1.builder(ex, "id", "builder", false));
        s.route("GET", "/imagefactory/builders/:id/status", ex -> v1.builder(ex, "id", "builder_status", true));
    }

    // ---- v2 --------------------------------------------------------------------------------------

    /** POST of a base, target or provider image; the path may name the image it is made from. */
    private void create(Exchange ex, Kind kind, Map<String, String> fromPath) throws IOException {
        accepts(ex);
        ObjectNode body = FactoryBody.read(ex);
        fromPath.forEach(body::put);
        Map<String, String> parameters = parameters(body.get("parameters"));
        List<String> callbacks = callbacks(body.get("parameters"));
        TemplateSource template = TemplateJson.source(body.get("template"));
        FactoryImage image = switch (kind) {
            case BASE -> {
                if (template == null) throw HangarException.invalid("missing-parameters", "a base image needs a template");
                yield factory.createBase(template, parameters, callbacks);
            }
            case TARGET -> factory.createTarget(optionalId(body, "base_image_id"), template, required(body, "target"), parameters, callbacks);
            case PROVIDER -> factory.createProvider(optionalId(body, "target_image_id"), optionalId(body, "base_image_id"), template,
                    FactoryBody.text(body, "target"), provider(body), parameters, callbacks);
        };
        ex.setHeader("Location", FactoryJson.href(ex.baseUrl(), image));
        ObjectNode answer = FactoryJson.wrapped(ex.baseUrl(), image);
        if (kind == Kind.PROVIDER) {
            // v1 posts to the same path and reads a bare provider_image: both shapes in one answer.
            answer.put("_type", "provider_image").put("id", image.id().toString())
                    .put("href", ex.baseUrl() + "/imagefactory/builders/" + image.id());
        }
        ex.json(202, answer);
    }

    private void listV2(Exchange ex, Kind kind, UUID parent) throws IOException {
        accepts(ex);
        List<FactoryImage> all = parent == null ? factory.list(kind) : factory.madeFrom(factory.get(parent).id()).stream()
                .filter(i -> i.kind() == kind).toList();
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set(FactoryJson.collection(kind), FactoryJson.list(ex.baseUrl(), all));
        ex.json(200, o);
    }

    /** GET of one image, with its relations. */
    private void getV2(Exchange ex, Kind kind, UUID id) throws IOException {
        accepts(ex);
        FactoryImage image = factory.get(id, kind);
        String base = ex.baseUrl();
        ObjectNode wrapped = FactoryJson.wrapped(base, image);
        ObjectNode o = (ObjectNode) wrapped.get(FactoryJson.wrapper(kind));
        switch (kind) {
            case BASE -> o.set("target_images", links(base, factory.madeFrom(id)));
            case TARGET -> {
                o.set("base_image", FactoryJson.link(base, Kind.BASE, image.baseImage()));
                o.set("provider_images", links(base, factory.madeFrom(id)));
            }
            case PROVIDER -> o.set("target_image", FactoryJson.link(base, Kind.TARGET, image.targetImage()));
        }
        ex.json(200, wrapped);
    }

    private void delete(Exchange ex, Kind kind, UUID id) throws IOException {
        factory.get(id, kind);
        factory.delete(id);
        ex.empty(204);
    }

    private void raw(Exchange ex, Kind kind, UUID id) throws IOException {
        factory.get(id, kind);
        ex.file(factory.file(id), "application/octet-stream");
    }

    private static ArrayNode links(String base, List<FactoryImage> images) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        images.forEach(i -> a.add(FactoryJson.link(base, i.kind(), i.id())));
        return a;
    }

    /** An Accept header that rules JSON out gets 406 (the original answered 500). */
    private static void accepts(Exchange ex) {
        String accept = ex.header("Accept");
        if (accept == null || accept.isBlank()) return;
        String a = accept.toLowerCase(Locale.ROOT);
        if (!a.contains("json") && !a.contains("*/*") && !a.contains("application/*")) {
            throw HttpRefusal.notAcceptable("answers are application/json; Accept says " + accept);
        }
    }

    // ---- fields ----------------------------------------------------------------------------------

    private static Map<String, String> parameters(JsonNode p) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode params = parsedObject(p, "parameters");
        if (params == null) return out;
        params.properties().forEach(e -> {
            if (!e.getKey().equals("callbacks")) out.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
        });
        return out;
    }

    private static List<String> callbacks(JsonNode p) {
        List<String> out = new ArrayList<>();
        JsonNode params = parsedObject(p, "parameters");
        if (params == null || params.get("callbacks") == null) return out;
        JsonNode c = params.get("callbacks");
        if (c.isTextual()) out.add(c.textValue());
        else if (c.isArray()) c.forEach(u -> out.add(u.asText()));
        else throw HangarException.invalid("invalid-parameters", "parameters.callbacks must be a list of URLs");
        return out;
    }

    /** An object given as an object, or as a JSON string (form bodies carry it as text). */
    private static JsonNode parsedObject(JsonNode n, String field) {
        if (n == null || n.isNull()) return null;
        if (n.isObject()) return n;
        if (n.isTextual() && n.textValue().strip().startsWith("{")) {
            try {
                return Json.MAPPER.readTree(n.textValue());
            } catch (JsonProcessingException e) {
                throw HangarException.invalid("invalid-" + field, field + " is not valid JSON: " + e.getOriginalMessage());
            }
        }
        if (n.isTextual() && n.textValue().isBlank()) return null;
        throw HangarException.invalid("invalid-" + field, field + " must be a JSON object");
    }

    /** provider: a name (hangar) or a definition {"type", settings...}; credentials: JSON, or the seed's XML. */
    static ProviderPublisher.Provider provider(JsonNode body) {
        JsonNode p = body.get("provider");
        if (p == null || p.isNull() || (p.isTextual() && p.textValue().isBlank())) {
            throw HangarException.invalid("missing-parameters", "a provider image needs a provider");
        }
        String type;
        Map<String, String> settings = new HashMap<>();
        JsonNode definition = p.isObject() || p.asText().strip().startsWith("{") ? parsedObject(p, "provider") : null;
        if (definition != null) {
            type = definition.path("type").asText(null);
            definition.properties().forEach(e -> {
                if (!e.getKey().equals("type")) settings.put(e.getKey(), e.getValue().asText());
            });
        } else {
            type = p.asText().strip();
        }
        if (type == null || type.isBlank()) throw HangarException.invalid("invalid-provider", "the provider definition needs a type");
        return new ProviderPublisher.Provider(type, settings, Credentials.parse(body.get("credentials")));
    }

    private static String required(JsonNode body, String field) {
        String v = FactoryBody.text(body, field);
        if (v == null || v.isBlank()) throw HangarException.invalid("missing-parameters", field + " is required");
        return v;
    }

    private static UUID optionalId(JsonNode body, String field) {
        String v = FactoryBody.text(body, field);
        if (v == null || v.isBlank()) return null;
        try {
            return UUID.fromString(v.strip());
        } catch (IllegalArgumentException e) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no image " + v);
        }
    }

    private static UUID id(Exchange ex, String param) {
        try {
            return UUID.fromString(ex.pathParam(param));
        } catch (IllegalArgumentException e) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no image " + ex.pathParam(param));
        }
    }

    // ---- v1 --------------------------------------------------------------------------------------

    /** The seed's API: an image is a base image, a build one base image with its target images. */
    private final class V1 {
        /** POST /imagefactory/images, PUT /imagefactory/images/ID (a new build of that image). */
        void create(Exchange ex) throws IOException {
            ObjectNode body = FactoryBody.read(ex);
            String imageId = ex.pathParam("i");
            if (imageId != null) factory.get(id(ex, "i"), Kind.BASE);
            TemplateSource template = TemplateJson.source(body.get("template"));
            if (template == null) throw HangarException.invalid("missing-parameters", "template is required");
            List<String> targets = new ArrayList<>();
            for (String t : required(body, "targets").split(",")) if (!t.isBlank()) targets.add(t.strip().toLowerCase(Locale.ROOT));
            if (targets.isEmpty()) throw HangarException.invalid("missing-parameters", "targets is required");
            Map<String, String> parameters = new HashMap<>();
            if (targets.stream().allMatch("mock"::equals)) parameters.put(ImageFactory.MOCK_PARAMETER, "true");
            if (imageId != null) parameters.put("image_id", imageId);
            FactoryImage build = factory.createBase(template, parameters, List.of());
            String image = imageId != null ? imageId : build.id().toString();
            String base = ex.baseUrl();
            String buildHref = base + "/imagefactory/images/" + image + "/builds/" + build.id();
            ArrayNode targetImages = Json.MAPPER.createArrayNode();
            for (String t : targets) {
                FactoryImage ti = factory.createTarget(build.id(), null, t, Map.of(), List.of());
                targetImages.addObject().put("_type", "target_image").put("href", buildHref + "/target_images/" + ti.id()).put("id", ti.id().toString());
            }
            ObjectNode o = Json.MAPPER.createObjectNode().put("_type", "image").put("href", base + "/imagefactory/images/" + image).put("id", image);
            o.putObject("build").put("_type", "build").put("href", buildHref).put("id", build.id().toString()).set("target_images", targetImages);
            ex.json(202, o);
        }

        /** POST of a provider image under its target image's path. */
        void push(Exchange ex) throws IOException {
            ObjectNode body = FactoryBody.read(ex);
            UUID target = id(ex, "t");
            FactoryImage pi = factory.createProvider(target, null, null, null, provider(body), Map.of(), List.of());
            String href = ex.baseUrl() + "/imagefactory/builders/" + pi.id();
            ex.json(202, Json.MAPPER.createObjectNode().put("_type", "provider_image").put("href", href).put("id", pi.id().toString())
                    .put("target_image_id", target.toString()).put("provider", pi.provider().type()));
        }

        void builders(Exchange ex) throws IOException {
            ArrayNode all = Json.MAPPER.createArrayNode();
            String base = ex.baseUrl();
            for (Kind k : List.of(Kind.TARGET, Kind.PROVIDER)) {
                for (FactoryImage i : factory.list(k)) all.add(FactoryJson.builder(base, i, base + "/imagefactory/builders/" + i.id()));
            }
            ObjectNode o = Json.MAPPER.createObjectNode().put("_type", "builders").put("href", base + "/imagefactory/builders");
            o.set("builders", all);
            ex.json(200, o);
        }

        /** A builder (a target or provider image) in full, or just its status. */
        void builder(Exchange ex, String param, String type, boolean statusOnly) throws IOException {
            FactoryImage i = factory.get(id(ex, param));
            if (i.kind() == Kind.BASE) throw new HangarException(HangarException.Kind.NOT_FOUND, "builder-not-found", "no builder " + i.id());
            String href = ex.baseUrl() + ex.path();
            if (statusOnly) {
                ex.json(200, FactoryJson.v1Status(type, i, href));
            } else {
                ObjectNode o = FactoryJson.builder(ex.baseUrl(), i, href);
                o.put("_type", type);
                ex.json(200, o);
            }
        }
    }
}
