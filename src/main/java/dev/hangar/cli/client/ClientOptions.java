package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.security.OAuth1Signer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Iterator;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Where the service is and how to talk to it, on every client command: {@code --url} (or
 * {@code HANGAR_URL}), {@code --ca-cert} for a service whose certificate is self-signed, and the
 * config file whose {@code clients} sign requests when the service has OAuth on.
 */
public final class ClientOptions {
    static final String DEFAULT_URL = "http://127.0.0.1:12345";

    @Option(names = "--url", paramLabel = "URL", description = "the Hangar service (default: $HANGAR_URL, else " + DEFAULT_URL + ")")
    String url;

    @Option(names = "--ca-cert", paramLabel = "PATH",
            description = "trust this PEM certificate for https (a self-signed service's DATA-DIR/tls/hangar.crt)")
    Path caCert;

    @Option(names = "--config", paramLabel = "PATH",
            description = "the config file whose \"clients\" sign requests with OAuth (default: DATA-DIR/hangar.json when it exists and is readable)")
    Path config;

    @Option(names = "--client", paramLabel = "KEY", description = "which of the config's clients signs (default: the first)")
    String client;

    /** The client these options describe; {@code env} is the environment (a parameter for tests). */
    HangarClient client(Map<String, String> env, picocli.CommandLine commandLine) {
        URI base = baseUrl(env);
        try {
            return new HangarClient(base, caCert == null ? null : trusting(caCert), signer(commandLine));
        } catch (IOException | GeneralSecurityException e) {
            throw new ParameterException(commandLine, "cannot read --ca-cert " + caCert + ": " + e.getMessage());
        }
    }

    URI baseUrl(Map<String, String> env) {
        String u = url != null ? url : env.getOrDefault("HANGAR_URL", DEFAULT_URL);
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !(u.startsWith("http://") || u.startsWith("https://"))) {
            throw new IllegalArgumentException("the service's URL must be http://HOST:PORT or https://HOST:PORT, not " + u);
        }
        return uri;
    }

    /** The signer of the config's client, or null when there is no config or it names no clients. */
    OAuth1Signer signer(picocli.CommandLine commandLine) throws IOException {
        Path file = config;
        if (file == null) {
            Path fallback = defaultDataDir().resolve("hangar.json");
            if (!Files.isReadable(fallback)) return null;
            file = fallback;
        } else if (!Files.isRegularFile(file)) {
            throw new ParameterException(commandLine, "--config " + file + " does not exist");
        }
        JsonNode clients = HangarClient.JSON.readTree(file.toFile()).path("clients");
        if (!clients.isObject() || clients.isEmpty()) {
            if (client != null) throw new ParameterException(commandLine, file + " has no clients; --client " + client + " names none");
            return null;
        }
        if (client != null) {
            if (!clients.path(client).isTextual()) throw new ParameterException(commandLine, file + " has no client " + client);
            return new OAuth1Signer(client, clients.get(client).asText());
        }
        Iterator<Map.Entry<String, JsonNode>> first = clients.properties().iterator();
        Map.Entry<String, JsonNode> c = first.next();
        return new OAuth1Signer(c.getKey(), c.getValue().asText());
    }

    /** Where {@code hangar serve} keeps its data by default: the same rule as serve's. */
    static Path defaultDataDir() {
        boolean root = "root".equals(System.getProperty("user.name"));
        return root ? Path.of("/var/lib/hangar") : Path.of(System.getProperty("user.home"), ".local", "share", "hangar");
    }

    private static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) trust.setCertificateEntry("hangar-" + n++, c);
            if (n == 0) throw new GeneralSecurityException("no certificate in it");
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
