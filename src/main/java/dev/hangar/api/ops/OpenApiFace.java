package dev.hangar.api.ops;

import dev.hangar.api.ApiServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 document of every face, served as the build packed it
 * (src/main/resources/openapi.json; OpenApiTest keeps it equal to the routes that exist).
 */
public final class OpenApiFace {
    /** Where the document lies on the class path. */
    public static final String RESOURCE = "/openapi.json";

    private final String document;

    public OpenApiFace() {
        this.document = read();
    }

    public void register(ApiServer server) {
        server.route("GET", "/openapi.json", ex -> ex.text(200, document, "application/json"));
    }

    /** The document's text, as packed in the jar. */
    public static String read() {
        try (InputStream in = OpenApiFace.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is not on the class path: the build packs it");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
