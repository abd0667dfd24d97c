package dev.hangar.security;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * The certificate and key a TLS listener presents: the operator's PEM ({@code --ssl_pem}), or a
 * self-signed one Hangar makes at its first start and keeps in the data directory.
 *
 * <p>The self-signed certificate is an EC P-256 key with every name and address of this host in its
 * subject alternative names (and loopback's, so Hangar's own clients reach it as 127.0.0.1), valid for
 * {@link #SELF_SIGNED_VALIDITY}. It is reused across starts, so clients that trusted it keep trusting
 * it; only when it is about to expire is a new one made. Its certificate alone is also written beside
 * it ({@code hangar.crt}) for clients to trust. Bouncy Castle builds and reads the PEM; the JDK's own
 * provider does the cryptography.
 */
public final class TlsCertificate {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TlsCertificate.class);
    public static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(5 * 365);
    /** A self-signed certificate closer than this to its end is replaced at start. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    public static final String KEY_FILE = "hangar.pem";
    public static final String CERT_FILE = "hangar.crt";
    /** RSA keys shorter than this are refused in an operator's PEM (NIST's floor past 2030). */
    static final int MIN_RSA_BITS = 3072;

    private final PrivateKey key;
    private final List<X509Certificate> chain;

    private TlsCertificate(PrivateKey key, List<X509Certificate> chain) {
        this.key = key;
        this.chain = List.copyOf(chain);
    }

    /** The leaf certificate first, then any intermediates, as the PEM gave them. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The leaf certificate's SHA-256 fingerprint, as browsers and openssl show it (AB:CD:...). */
    public String fingerprint() {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(chain.get(0).getEncoded());
            return java.util.HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A server context that offers TLS 1.3 and 1.2 only; the listener restricts the protocols too. */
    public SSLContext serverContext() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] none = new char[0];
            store.setKeyEntry("hangar", key, none, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, none);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a TLS context from the certificate", e);
        }
    }

    /**
     * Reads an operator's PEM: one private key (PKCS#8, or OpenSSL's EC / RSA form) and the
     * certificate chain, leaf first, in one file. A clear IllegalArgumentException for anything else.
     */
    public static TlsCertificate readPem(Path pem) {
        PrivateKey key = null;
        List<X509Certificate> chain = new ArrayList<>();
        JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
        JcaX509CertificateConverter certs = new JcaX509CertificateConverter();
        try (Reader reader = Files.newBufferedReader(pem, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(certs.getCertificate(holder));
                } else if (o instanceof PEMKeyPair pair) {
                    key = onlyKey(key, keys.getPrivateKey(pair.getPrivateKeyInfo()), pem);
                } else if (o instanceof PrivateKeyInfo info) {
                    key = onlyKey(key, keys.getPrivateKey(info), pem);
                } else {
                    throw new IllegalArgumentException(pem + " holds a " + o.getClass().getSimpleName()
                            + "; give an unencrypted private key and its certificates");
                }
            }
        } catch (IOException | java.security.cert.CertificateException e) {
            throw new IllegalArgumentException(pem + " is not a PEM file of a key and certificates: " + e.getMessage());
        }
        if (key == null) throw new IllegalArgumentException(pem + " holds no private key (an unencrypted PRIVATE KEY block)");
        if (chain.isEmpty()) throw new IllegalArgumentException(pem + " holds no certificate");
        if (!signsFor(key, chain.get(0))) {
            throw new IllegalArgumentException(pem + ": the first certificate is not the private key's");
        }
        if (key instanceof RSAKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new IllegalArgumentException(pem + ": an RSA key of " + rsa.getModulus().bitLength()
                    + " bits is too short; give " + MIN_RSA_BITS + " or more, or an EC key");
        }
        return new TlsCertificate(key, chain);
    }

    private static PrivateKey onlyKey(PrivateKey had, PrivateKey found, Path pem) {
        if (had != null) throw new IllegalArgumentException(pem + " holds more than one private key");
        return found;
    }

    /** Whether the certificate is the key's, checked by signing: private keys do not all expose their public half. */
    private static boolean signsFor(PrivateKey key, X509Certificate leaf) {
        try {
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(key);
            byte[] probe = "hangar".getBytes(StandardCharsets.US_ASCII);
            signer.update(probe);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * The self-signed certificate in {@code dir}: the one made earlier when it is still good for
     * {@link #RENEW_BEFORE}, else a new one for these names and addresses (written before it is used).
     */
    public static TlsCertificate selfSigned(Path dir, Collection<String> names, Collection<InetAddress> addresses, Clock clock)
            throws IOException {
        Path pem = dir.resolve(KEY_FILE);
        if (Files.exists(pem)) {
            TlsCertificate kept = readPem(pem);
            if (kept.chain.get(0).getNotAfter().toInstant().isAfter(clock.instant().plus(RENEW_BEFORE))) {
                // hangar.crt is written after hangar.pem: a crash between the two left it stale or missing.
                String crt = kept.certificatesPem();
                Path crtFile = dir.resolve(CERT_FILE);
                if (!Files.exists(crtFile) || !Files.readString(crtFile, StandardCharsets.US_ASCII).equals(crt)) {
                    writeAtomically(crtFile, crt, "rw-r--r--");
                }
                List<String> uncovered = kept.uncovered(names, addresses);
                if (!uncovered.isEmpty()) {
                    log.warn("the self-signed certificate {} does not name {}: clients that reach Hangar by those fail to verify it;"
                            + " remove {} to have a new one made at the next start (clients must then trust the new {})",
                            pem, uncovered, dir, CERT_FILE);
                }
                return kept;
            }
        }
        TlsCertificate made = generate(names, addresses, clock.instant());
        made.write(dir);
        return made;
    }

    static TlsCertificate generate(Collection<String> names, Collection<InetAddress> addresses, Instant now) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            Set<String> dns = new LinkedHashSet<>(names);
            dns.add("localhost");
            Set<InetAddress> ips = new LinkedHashSet<>(addresses);
            ips.add(InetAddress.getByName("127.0.0.1"));
            ips.add(InetAddress.getByName("::1"));
            List<GeneralName> san = new ArrayList<>();
            dns.forEach(n -> san.add(new GeneralName(GeneralName.dNSName, n)));
            ips.forEach(a -> san.add(new GeneralName(GeneralName.iPAddress, a.getHostAddress().replaceAll("%.*", ""))));
            String cn = dns.iterator().next();
            X500Name subject = new X500Name("CN=" + cn.replaceAll("[,+=\"\\\\<>;]", "") + ",O=Hangar (self-signed)");
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(128, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(SELF_SIGNED_VALIDITY)), subject, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(new GeneralName[0])));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            return new TlsCertificate(pair.getPrivate(), List.of(cert));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a self-signed certificate", e);
        }
    }

    /** Writes hangar.pem (key and certificate, owner-only) and hangar.crt (the certificate), each atomically. */
    private void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringWriter keyAndCert = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(keyAndCert)) {
            w.writeObject(new JcaPKCS8Generator(key, null)); // PKCS#8 "PRIVATE KEY", which every reader takes
            for (X509Certificate c : chain) w.writeObject(c);
        }
        writeAtomically(dir.resolve(KEY_FILE), keyAndCert.toString(), "rw-------");
        writeAtomically(dir.resolve(CERT_FILE), certificatesPem(), "rw-r--r--");
    }

    /** The chain alone, as PEM: what hangar.crt holds. */
    private String certificatesPem() throws IOException {
        StringWriter certOnly = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(certOnly)) {
            for (X509Certificate c : chain) w.writeObject(c);
        }
        return certOnly.toString();
    }

    /** The names and addresses (of those given) the leaf's subject alternative names leave out. */
    List<String> uncovered(Collection<String> names, Collection<InetAddress> addresses) {
        Set<String> san = new java.util.HashSet<>();
        try {
            var alternatives = chain.get(0).getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) san.add(String.valueOf(entry.get(1)).toLowerCase(java.util.Locale.ROOT));
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return List.of("(its names cannot be read)");
        }
        List<String> missing = new ArrayList<>();
        for (String n : names) if (!san.contains(n.toLowerCase(java.util.Locale.ROOT))) missing.add(n);
        for (InetAddress a : addresses) {
            String text = a.getHostAddress().replaceAll("%.*", "");
            boolean named = san.contains(text) || san.stream().anyMatch(s -> {
                try {
                    // an address literal (never a name: no lookup), in whatever spelling the SAN gives it
                    return (s.contains(":") || s.matches("[0-9.]+")) && InetAddress.getByName(s).equals(InetAddress.getByName(text));
                } catch (java.net.UnknownHostException e) {
                    return false;
                }
            });
            if (!named) missing.add(text);
        }
        return missing;
    }

    private static void writeAtomically(Path file, String text, String permissions) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** This host's names, for the SAN ("localhost" is always added). */
    public static List<String> hostNames() {
        Set<String> names = new LinkedHashSet<>();
        try {
            InetAddress self = InetAddress.getLocalHost();
            names.add(self.getHostName());
            names.add(self.getCanonicalHostName());
        } catch (IOException e) {
            // No name resolves for this host: localhost and the addresses still go in.
        }
        names.removeIf(n -> n.isBlank() || n.matches("[0-9.]+") || n.contains(":")); // an address literal, not a name
        return List.copyOf(names);
    }

    /** This host's non-link-local addresses, for the SAN; loopback's are always added. */
    public static List<InetAddress> hostAddresses() {
        List<InetAddress> out = new ArrayList<>();
        try {
            for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                    if (!a.isLinkLocalAddress()) out.add(a);
                }
            }
        } catch (java.net.SocketException e) {
            // No interfaces to list: loopback's addresses are still added.
        }
        return out;
    }
}
