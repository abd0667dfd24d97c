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
import java.net.Socket;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
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
        return trusting(bundle(caBundle));
    }

    /**
     * The operator's {@code --ca-bundle}, read (at start-up: a bad one is an option's error); none for null.
     * @throws IllegalArgumentException when it cannot be read or holds no certificate
     */
    public static List<X509Certificate> bundle(Path caBundle) {
        if (caBundle == null) return List.of();
        List<X509Certificate> certificates;
        try {
            certificates = pem(caBundle);
        } catch (IOException e) {
            throw new IllegalArgumentException("--ca-bundle: cannot read " + caBundle + ": " + e.getMessage(), e);
        }
        if (certificates.isEmpty()) throw new IllegalArgumentException("--ca-bundle: " + caBundle + " holds no PEM certificate");
        return List.copyOf(certificates);
    }

    /**
     * Trusting these certificates as well as the JDK's and the system's: the operator's bundle and
     * Hangar's own certificate, so that it fetches what it published from its own TLS listener (its
     * self-signed certificate is no CA's). The JDK's and the system's some 300 certificates are parsed
     * on a thread of their own, off the service's start (about 40 ms), and the first TLS handshake waits
     * for them if it comes sooner.
     */
    public static SSLContext trusting(List<X509Certificate> alsoTrusted) {
        FutureTask<X509ExtendedTrustManager> trust = new FutureTask<>(() -> {
            List<X509Certificate> anchors = new ArrayList<>(jdkAnchors());
            anchors.addAll(alsoTrusted);
            anchors.addAll(systemAnchors(SYSTEM_BUNDLE));
            return trustManager(anchors);
        });
        Thread.ofVirtual().name("outbound-trust").start(trust);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new DeferredTrust(trust)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make a TLS context: " + e.getMessage(), e);
        }
    }

    /** One PKIX trust manager of these anchors. */
    private static X509ExtendedTrustManager trustManager(List<X509Certificate> anchors) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < anchors.size(); i++) store.setCertificateEntry("ca-" + i, anchors.get(i));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager m : factory.getTrustManagers()) {
            if (m instanceof X509ExtendedTrustManager x) return x;
        }
        throw new GeneralSecurityException("the JDK's PKIX trust manager factory gave no X509ExtendedTrustManager");
    }

    /** The PKIX trust manager, once its anchors are read: every check (host names too) is its own. */
    private static final class DeferredTrust extends X509ExtendedTrustManager {
        private final Future<X509ExtendedTrustManager> trust;

        DeferredTrust(Future<X509ExtendedTrustManager> trust) {
            this.trust = trust;
        }

        private X509ExtendedTrustManager trust() throws CertificateException {
            try {
                return trust.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CertificateException("interrupted while the trusted certificates were read", e);
            } catch (ExecutionException e) {
                throw new CertificateException("the trusted certificates cannot be read: " + e.getCause(), e.getCause());
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            trust().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            trust().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust().checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            trust().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            trust().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust().checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return trust().getAcceptedIssuers();
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
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
