package dev.hangar.api.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Json;
import dev.hangar.api.events.EventsFace;
import dev.hangar.api.groups.GroupsFace;
import dev.hangar.api.hosts.HostsFace;
import dev.hangar.api.imagefactory.ImageFactoryFace;
import dev.hangar.api.images.ImagesFace;
import dev.hangar.api.operations.OperationsFace;
import dev.hangar.api.ui.UiFace;
import dev.hangar.api.vms.VmsFace;
import dev.hangar.app.Faces;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document at /openapi.json describes exactly the routes the listeners serve: a route
 * added without an entry, or an entry whose route went, fails the build, naming it.
 */
class OpenApiTest {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern TEMPLATE = Pattern.compile("\\{([^}/]+)}");

    /** Every face, as `serve` builds them; their handlers are never called here, so they need no services. */
    private static final Faces FACES = new Faces(new VmsFace(null), new GroupsFace(null), new HostsFace(null, null),
            new OperationsFace(null), new ImagesFace(null, null), new MetricsFace(() -> ""), new EventsFace(Clock.systemUTC()),
            new HealthFace(List.of()), new ImageFactoryFace(null, (id, name) -> Optional.empty()), new UiFace(null));

    private final JsonNode document = parse(OpenApiFace.read());

    /** "METHOD /path/{param}" of every route of every listener, as `serve` registers them. */
    private static Set<String> served(ApiServer... extra) {
        ApiServer main = new ApiServer();
        ApiServer hosts = new ApiServer();
        ApiServer imageFactory = new ApiServer();
        FACES.registerMain(main);
        FACES.registerHosts(hosts);
        FACES.registerImageFactory(imageFactory);
        Set<String> routes = new TreeSet<>();
        List<ApiServer> all = new ArrayList<>(List.of(main, hosts, imageFactory));
        all.addAll(List.of(extra));
        for (ApiServer server : all) {
            for (ApiServer.RouteName r : server.routes()) routes.add(r.method() + " " + r.path().replaceAll(":([^/]+)", "{$1}"));
        }
        return routes;
    }

    /** "METHOD /path/{param}" of every operation the document describes. */
    private static Set<String> described(JsonNode document) {
        Set<String> ops = new TreeSet<>();
        document.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            if (METHODS.contains(op.getKey())) ops.add(op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey());
        }));
        return ops;
    }

    /** What differs between the routes and the document, as a build failure says it; empty when they agree. */
    static String mismatch(Set<String> served, Set<String> described) {
        Set<String> undescribed = new TreeSet<>(served);
        undescribed.removeAll(described);
        Set<String> gone = new TreeSet<>(described);
        gone.removeAll(served);
        StringBuilder why = new StringBuilder();
        if (!undescribed.isEmpty()) why.append("routes served but not in src/main/resources/openapi.json: ").append(undescribed).append(". ");
        if (!gone.isEmpty()) why.append("routes in src/main/resources/openapi.json that no listener serves: ").append(gone).append(".");
        return why.toString().strip();
    }

    @Test
    void describesEveryRouteServedAndNoOther() {
        Set<String> served = served();
        assertEquals("", mismatch(served, described(document)));
        assertTrue(served.contains("GET /openapi.json") && served.contains("GET /imagefactory/published/{id}/{name}")
                && served.contains("GET /imagefactory/base_images/{b}/target_images/{t}/provider_images/{id}"), "the check sees every face: " + served);
    }

    @Test
    void aRouteAddedWithoutAnEntryFailsNamingIt() {
        ApiServer withNewRoute = new ApiServer().route("GET", "/vms/:id/screenshot", ex -> {});
        String why = mismatch(served(withNewRoute), described(document));
        assertEquals("routes served but not in src/main/resources/openapi.json: [GET /vms/{id}/screenshot].", why);
    }

    @Test
    void anEntryWhoseRouteIsGoneFailsNamingIt() {
        Set<String> described = described(document);
        described.add("POST /vms/{id}/snapshots");
        assertEquals("routes in src/main/resources/openapi.json that no listener serves: [POST /vms/{id}/snapshots].",
                mismatch(served(), described));
    }

    @Test
    void everyOperationSaysWhatItDoesAndHowItAnswers() {
        Set<String> ids = new HashSet<>();
        document.path("paths").properties().forEach(path -> path.getValue().properties().forEach(entry -> {
            if (!METHODS.contains(entry.getKey())) return;
            JsonNode op = entry.getValue();
            String name = entry.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey();
            assertFalse(op.path("summary").asText().isBlank(), name + " has no summary");
            assertFalse(op.path("description").asText().isBlank(), name + " has no description");
            assertTrue(ids.add(op.path("operationId").asText()), name + ": operationId missing or not unique: " + op.path("operationId"));
            assertTrue(op.path("tags").size() == 1 && tagged(op.path("tags").get(0).asText()), name + " names no tag of the document");
            assertTrue(op.path("responses").properties().stream().anyMatch(r -> r.getKey().startsWith("2") || r.getKey().equals("101") || r.getKey().equals("302")), name + " has no success response (2xx; 101 for a WebSocket, 302 for a redirect)");
        }));
    }

    @Test
    void declaresEveryPathParameterOfItsRoute() {
        document.path("paths").properties().forEach(path -> {
            Set<String> inPath = new TreeSet<>();
            Matcher m = TEMPLATE.matcher(path.getKey());
            while (m.find()) inPath.add(m.group(1));
            path.getValue().properties().forEach(entry -> {
                if (!METHODS.contains(entry.getKey())) return;
                Set<String> declared = new TreeSet<>();
                for (JsonNode p : entry.getValue().path("parameters")) {
                    if (p.path("in").asText().equals("path")) {
                        assertTrue(p.path("required").asBoolean(), path.getKey() + ": path parameter " + p.path("name") + " must be required");
                        assertFalse(p.path("description").asText().isBlank(), path.getKey() + ": path parameter " + p.path("name") + " has no description");
                        declared.add(p.path("name").asText());
                    }
                }
                assertEquals(inPath, declared, entry.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey() + ": path parameters");
            });
        });
    }

    @Test
    void isAnOpenApi31DocumentOfThisVersion() {
        assertTrue(document.path("openapi").asText().startsWith("3.1."), "openapi: " + document.path("openapi"));
        assertEquals("Hangar", document.path("info").path("title").asText());
        // The build writes the project's version in: a placeholder left over means the resource was not filtered.
        assertTrue(document.path("info").path("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), "info.version: " + document.path("info").path("version"));
        assertEquals("object", document.at("/components/schemas/Error/type").asText());
        assertEquals("[\"code\",\"message\"]", document.at("/components/schemas/Error/required").toString());
        // Every $ref points at something the document has.
        List<String> refs = new ArrayList<>();
        document.findValues("$ref").forEach(r -> refs.add(r.asText()));
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/") && !document.at(ref.substring(1)).isMissingNode(), "dangling $ref " + ref);
        }
    }

    /**
     * The OpenAPI Initiative's own JSON Schema of 3.1 documents (its $id names its date; Apache-2.0),
     * kept in test resources so the check runs offline. It checks the document's structure; Schema
     * Objects inside it are checked only as JSON Schema 2020-12 allows.
     */
    @Test
    void validatesAgainstTheOpenApi31Schema() throws Exception {
        Schema schema;
        try (java.io.InputStream in = OpenApiTest.class.getResourceAsStream("/openapi/schema-3.1.json")) {
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
        List<com.networknt.schema.Error> errors = schema.validate(document);
        assertEquals(List.of(), errors.stream().map(Object::toString).toList());
        // ... and the check can fail: a response without its required description is refused.
        JsonNode broken = document.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.at("/paths/~1vms/get/responses/200")).remove("description");
        assertFalse(schema.validate(broken).isEmpty(), "a response without a description passed the schema");
    }

    @Test
    void isServedAsJsonOnTheMainListener() throws Exception {
        ApiServer main = new ApiServer();
        FACES.registerMain(main);
        main.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + main.address().getPort() + "/openapi.json")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
            assertEquals(document, parse(r.body()));
        } finally {
            main.close();
        }
    }

    private boolean tagged(String tag) {
        for (JsonNode t : document.path("tags")) if (t.path("name").asText().equals(tag)) return true;
        return false;
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("openapi.json is not JSON: " + e.getMessage(), e);
        }
    }
}
