package dev.hangar.outbound;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Hangar's outbound TLS trusts: the JDK's CA certificates, the system's bundle (Debian's
 * {@code /etc/ssl/certs/ca-certificates.crt}, where {@code update-ca-certificates} puts the operator's
 * own CAs; a JDK not built by Debian does not read it), and the operator's {@code --ca-bundle}. One
 * PKIX trust store of them all; host names are verified by the HttpClient as always.
 */
public final class OutboundTls {
    private static final Logger log = LoggerFactory.getLogger(OutboundTls.class);
    static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");

    private OutboundTls() {}

    /**
     * @param caBundle PEM certificates to trust as well, or null
     * @throws IllegalArgumentException when the bundle cannot be read or holds no certificate (a start-up error)
     */
    public static SSLContext context(Path caBundle) {
        return context(SYSTEM_BUNDLE, caBundle, List.of());
    }

    /**
     * The same, trusting these certificates as well: Hangar's own, so that it fetches what it published
     * from its own TLS listener (its self-signed certificate is no CA's).
     */
    public static SSLContext context(Path caBundle, List<X509Certificate> alsoTrusted) {
        return context(SYSTEM_BUNDLE, caBundle, alsoTrusted);
    }

    static SSLContext context(Path systemBundle, Path caBundle) {
        return context(systemBundle, caBundle, List.of());
    }

    private static SSLContext context(Path systemBundle, Path caBundle, List<X509Certificate> alsoTrusted) {
        try {
            List<X509Certificate> anchors = new ArrayList<>(jdkAnchors());
            anchors.addAll(alsoTrusted);
            anchors.addAll(systemAnchors(systemBundle));
            if (caBundle != null) {
                List<X509Certificate> operator = pem(caBundle);
                if (operator.isEmpty()) throw new IllegalArgumentException("--ca-bundle: " + caBundle + " holds no PEM certificate");
                anchors.addAll(operator);
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) store.setCertificateEntry("ca-" + i, anchors.get(i));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new IllegalArgumentException("--ca-bundle: cannot read " + caBundle + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make a TLS context: " + e.getMessage(), e);
        }
    }

    /** The certificates the JDK trusts by default (its cacerts). */
    private static List<X509Certificate> jdkAnchors() throws GeneralSecurityException {
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jdk.init((KeyStore) null);
        List<X509Certificate> anchors = new ArrayList<>();
        for (var manager : jdk.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) anchors.addAll(List.of(x509.getAcceptedIssuers()));
        }
        return anchors;
    }

    /** The system bundle's certificates; none when it is missing or unreadable (the JDK's still stand). */
    private static List<X509Certificate> systemAnchors(Path bundle) {
        if (!Files.isReadable(bundle)) return List.of();
        try {
            return pem(bundle);
        } catch (IOException e) {
            log.warn("the system's CA bundle {} is not used: {}", bundle, e.getMessage());
            return List.of();
        }
    }

    /** The PEM certificates of a file (text around them is ignored, as in the system bundle). */
    static List<X509Certificate> pem(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) { // the parser reads a byte at a time
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> x509 = new ArrayList<>();
            for (Certificate c : certificates) x509.add((X509Certificate) c);
            return x509;
        } catch (CertificateException e) {
            throw new IOException(file + " is not a bundle of PEM certificates: " + e.getMessage(), e);
        }
    }
}
