package dev.hangar.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The outbound policy on literal addresses and names with made-up answers: no network is used. A
 * "name" resolves through a table here as DNS would answer it; literals and localhost resolve as the
 * JDK does.
 */
class OutboundPolicyTest {
    static final String CATALOG = "/imagefactory/published";
    static final int HANGAR = 12345;
    /** Names and what "DNS" answers for them. */
    static final Map<String, String> DNS = Map.of(
            "metadata.test", "169.254.169.254",
            "metadata.test.", "169.254.169.254",
            "rebound.test", "192.0.2.7",
            "ours.test", "192.0.2.10",
            "mirror.test", "198.51.100.5");

    static OutboundPolicy policy(List<String> allow, List<String> deny) {
        OutboundPolicy p = new OutboundPolicy(allow.stream().map(AddressRange::parse).toList(),
                deny.stream().map(AddressRange::parse).toList(), CATALOG, OutboundPolicyTest::resolve,
                // this host: loopback, the wildcard, and its one interface address 192.0.2.10
                a -> a.isLoopbackAddress() || a.isAnyLocalAddress() || a.getHostAddress().equals("192.0.2.10"));
        p.protectListener(HANGAR);
        return p;
    }

    static InetAddress[] resolve(String host) throws UnknownHostException {
        String answer = DNS.get(host);
        if (answer != null) return new InetAddress[] {InetAddress.getByName(answer)};
        if (host.equals("localhost") || host.contains(":") || host.matches("[0-9.]+")) return InetAddress.getAllByName(host);
        throw new UnknownHostException(host);
    }

    static Optional<String> get(String url) throws UnknownHostException {
        return policy(List.of(), List.of()).refusal("GET", URI.create(url));
    }

    static void refused(String url, String because) throws UnknownHostException {
        Optional<String> why = get(url);
        assertTrue(why.isPresent(), url + " must be refused");
        assertTrue(why.get().contains(because), url + ": " + why.get());
    }

    @ParameterizedTest(name = "metadata as {0}")
    @ValueSource(strings = {
            "http://169.254.169.254/latest/meta-data/",
            "http://169.254.169.254:8080/",
            "https://169.254.1.1/",
            "http://metadata.test/computeMetadata/v1/",   // a name that resolves there
            "http://metadata.test./",                      // the same name with a trailing dot
            "http://[::ffff:169.254.169.254]/",            // IPv4-mapped IPv6, dotted
            "http://[::ffff:a9fe:a9fe]/",                  // IPv4-mapped IPv6, hex
            "http://[::169.254.169.254]/",                 // IPv4-compatible IPv6
            "http://[64:ff9b::a9fe:a9fe]/",                // NAT64: a gateway forwards to 169.254.169.254
            "http://[2002:a9fe:a9fe::1]/",                 // 6to4: a relay forwards to 169.254.169.254
            "http://[fd00:ec2::254]/",                     // AWS's IPv6 metadata address (not link-local)
            "http://[fe80::1]/",
            "http://[fe80::a9fe:a9fe%25eth0]/",           // with a zone
            "http://[febf::1]/"})
    void linkLocalIsRefusedInEverySpelling(String url) throws UnknownHostException {
        refused(url, "link-local");
    }

    @Test
    void ipv6LinkLocalIsNamed() throws UnknownHostException {
        refused("http://[fe80::1]/", "link-local");
        assertEquals(Optional.empty(), get("http://[fec0::1]/"), "fec0::/10 is not link-local");
    }

    @ParameterizedTest(name = "numeric host {0}")
    @ValueSource(strings = {
            "http://2852039166/",                 // 169.254.169.254 as one decimal number (the JDK reads it so)
            "http://0xa9.254.169.254/",           // hex part
            "http://0xa9fea9fe/",                 // hex number
            "http://0251.0376.0251.0376/",        // octal parts
            "http://169.254.43518/",              // short form a.b.c
            "http://169.43518/",                  // short form a.b
            "http://169.254.169.254./",           // trailing dot
            "http://017700000001/",               // 127.0.0.1 in octal
            "http://0/",                          // 0.0.0.0
            "http://127.1:8080/",
            "http://1.2.3.4.5/",
            "http://example.123/"})               // ends in a number: browsers read it as an address
    void aNumberThatIsNotDottedDecimalIsRefused(String url) throws UnknownHostException {
        Optional<String> why = get(url);
        assertTrue(why.isPresent(), url + " must be refused");
        assertTrue(why.get().contains("dotted decimal"), why.get());
    }

    @Test
    void theServicesOwnPortsAreRefusedOnEveryAddressOfThisHost() throws UnknownHostException {
        for (String url : List.of("http://127.0.0.1:12345/vms", "http://127.0.0.2:12345/", "http://localhost:12345/vms",
                "http://[::1]:12345/vms", "http://0.0.0.0:12345/vms", "http://[::]:12345/", "http://[::ffff:127.0.0.1]:12345/",
                "http://[::ffff:7f00:1]:12345/", "http://192.0.2.10:12345/vms", "http://ours.test:12345/vms")) {
            refused(url, "own Hangar listener on port 12345");
        }
        assertEquals(Optional.empty(), get("http://192.0.2.11:12345/"), "another host's port 12345 is not ours");
        assertEquals(Optional.empty(), get("http://127.0.0.1:8080/box.tar.gz"), "other loopback ports stay open (local image servers)");
        assertEquals(Optional.empty(), get("http://localhost:8080/box.tar.gz"));
        assertEquals(Optional.empty(), get("http://mirror.test/debian"));
    }

    @Test
    void aListenerOnPortZeroIsProtectedOnceItsPortIsKnown() throws UnknownHostException {
        OutboundPolicy p = policy(List.of(), List.of());
        assertEquals(Optional.empty(), p.refusal("GET", URI.create("http://127.0.0.1:40123/")));
        p.protectListener(0); // nothing: the port is not known yet
        p.protectListener(40123);
        assertTrue(p.refusal("GET", URI.create("http://127.0.0.1:40123/")).isPresent());
    }

    @Test
    void onlyGetsOfTheImageCatalogMayReachTheServicesOwnPort() throws UnknownHostException {
        OutboundPolicy p = policy(List.of(), List.of());
        String file = "http://127.0.0.1:12345/imagefactory/published/7d0c3a52-1f1e-4c55-9d8c-1a2b3c4d5e6f/disk.qcow2";
        assertEquals(Optional.empty(), p.refusal("GET", URI.create(file)));
        assertEquals(Optional.empty(), p.refusal("HEAD", URI.create(file)));
        assertTrue(p.refusal("POST", URI.create(file)).isPresent(), "a callback to the catalog is a write to Hangar");
        for (String path : List.of("/imagefactory/published", "/imagefactory/published/", "/imagefactory/published/x",
                "/imagefactory/published/../../vms", "/imagefactory/published/x/../../../vms", "/imagefactory/published/../x",
                "/imagefactory/published/x/..", "/imagefactory/published/x/y/z", "/imagefactory/published/x/%2e%2e",
                "/imagefactory/published/%2e%2e/vms", "/imagefactory/published//x", "/imagefactory/images",
                "/imagefactory/publishedx/a/b", "/x/imagefactory/published/a/b")) {
            assertTrue(p.refusal("GET", URI.create("http://127.0.0.1:12345" + path)).isPresent(), path);
        }
    }

    @Test
    void onlyAGetOfTheCatalogOnTheServicesOwnListenerIsSignedAsHangarItself() {
        OutboundPolicy p = policy(List.of(), List.of());
        String file = "/imagefactory/published/7d0c3a52-1f1e-4c55-9d8c-1a2b3c4d5e6f/disk.qcow2";
        assertTrue(p.isOwnCatalog("GET", URI.create("http://127.0.0.1:12345" + file)));
        assertTrue(p.isOwnCatalog("HEAD", URI.create("http://ours.test:12345" + file)));
        assertFalse(p.isOwnCatalog("GET", URI.create("http://192.0.2.11:12345" + file)), "another host's catalog: no signature of ours goes there");
        assertFalse(p.isOwnCatalog("GET", URI.create("http://127.0.0.1:8080" + file)), "another port of this host");
        assertFalse(p.isOwnCatalog("POST", URI.create("http://127.0.0.1:12345" + file)));
        assertFalse(p.isOwnCatalog("GET", URI.create("http://127.0.0.1:12345/vms")), "only the catalog");
        assertFalse(p.isOwnCatalog("GET", URI.create("http://rebound.test:12345" + file)));
    }

    @Test
    void allowRangesOpenLinkLocalButNotTheServicesOwnPorts() throws UnknownHostException {
        OutboundPolicy p = policy(List.of("169.254.169.254/32", "127.0.0.0/8"), List.of());
        assertEquals(Optional.empty(), p.refusal("GET", URI.create("http://169.254.169.254/latest")));
        assertEquals(Optional.empty(), p.refusal("GET", URI.create("http://[::ffff:169.254.169.254]/latest")));
        assertTrue(p.refusal("GET", URI.create("http://169.254.169.253/")).isPresent(), "only the range allowed");
        assertTrue(p.refusal("GET", URI.create("http://127.0.0.1:12345/vms")).isPresent(), "ranges name addresses, not ports");
    }

    @Test
    void denyRangesWinOverEverything() throws UnknownHostException {
        OutboundPolicy p = policy(List.of("10.0.0.0/8", "169.254.0.0/16"), List.of("10.1.0.0/16", "127.0.0.0/8", "169.254.169.254/32", "2001:db8::/32"));
        assertEquals(Optional.empty(), p.refusal("GET", URI.create("http://10.2.3.4/")));
        assertTrue(p.refusal("GET", URI.create("http://10.1.2.3/")).orElseThrow().contains("--outbound-deny"));
        assertTrue(p.refusal("GET", URI.create("http://169.254.169.254/")).orElseThrow().contains("169.254.169.254/32"));
        assertTrue(p.refusal("GET", URI.create("http://localhost:8080/")).isPresent());
        assertTrue(p.refusal("GET", URI.create("http://127.0.0.1:12345/imagefactory/published/a/b")).isPresent(), "even the catalog");
        assertTrue(p.refusal("GET", URI.create("http://[2001:db8::1]/")).isPresent());
        assertTrue(p.refusal("GET", URI.create("http://[::ffff:127.0.0.1]:80/")).isPresent(), "mapped addresses are checked as IPv4");
    }

    @Test
    void onlyHttpAndHttpsAreFetched() throws UnknownHostException {
        refused("ftp://mirror.test/x", "not an http or https URL");
        refused("file:///etc/passwd", "not an http or https URL");
        refused("gopher://127.0.0.1:11211/", "not an http or https URL");
    }

    @Test
    void aHostTheJdkCannotReadIsRefused() throws UnknownHostException {
        refused("http://under_score.test/x", "neither a name nor an address");
    }

    @Test
    void aNameThatDoesNotResolveFailsTheRequestButIsNotRefusedWhenAsked() {
        OutboundPolicy p = policy(List.of(), List.of());
        assertThrows(UnknownHostException.class, () -> p.refusal("GET", URI.create("http://nowhere.test/x")));
        assertEquals(Optional.empty(), p.fetchRefusal("http://nowhere.test/x"), "at POST: checked again when fetched");
        assertEquals(Optional.empty(), p.fetchRefusal("http://no uri/"), "not a URI: the download fails on its own");
    }

    @Test
    void thePortsViewOfTheCoreSaysWhy() {
        OutboundPolicy p = policy(List.of(), List.of());
        assertTrue(p.fetchRefusal("http://169.254.169.254/x").orElseThrow().contains("link-local"));
        assertTrue(p.deliveryRefusal("http://127.0.0.1:12345/imagefactory/published/a/b").isPresent(), "callbacks POST");
        assertEquals(Optional.empty(), p.fetchRefusal("http://127.0.0.1:12345/imagefactory/published/a/b"));
        assertEquals(Optional.empty(), p.deliveryRefusal("http://127.0.0.1:9000/ready"));
    }

    @Test
    void theRealResolverAndThisHostsAddresses() throws UnknownHostException {
        OutboundPolicy p = new OutboundPolicy(List.of(), List.of(), CATALOG);
        p.protectListener(HANGAR);
        assertTrue(p.refusal("GET", URI.create("http://localhost:12345/vms")).isPresent());
        assertTrue(p.refusal("GET", URI.create("http://[::ffff:a9fe:a9fe]/")).isPresent());
        assertEquals(Optional.empty(), p.refusal("GET", URI.create("http://localhost:8080/")));
        assertTrue(OutboundPolicy.isThisHost(InetAddress.getByName("0.0.0.0")));
        assertTrue(OutboundPolicy.isThisHost(InetAddress.getByName("127.0.0.1")));
        assertTrue(!OutboundPolicy.isThisHost(InetAddress.getByName("192.0.2.200")), "TEST-NET-1 is no address of this host");
    }

    @Test
    void addressRanges() throws UnknownHostException {
        AddressRange r = AddressRange.parse("169.254.0.0/17");
        assertTrue(r.contains(InetAddress.getByName("169.254.127.255")));
        assertTrue(!r.contains(InetAddress.getByName("169.254.128.0")));
        assertTrue(!r.contains(InetAddress.getByName("fe80::1")), "no IPv4 range holds an IPv6 address");
        assertTrue(AddressRange.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9")));
        assertTrue(AddressRange.parse("10.1.2.3").contains(InetAddress.getByName("10.1.2.3")));
        assertTrue(!AddressRange.parse("10.1.2.3").contains(InetAddress.getByName("10.1.2.4")));
        assertTrue(AddressRange.parse("fe80::/10").contains(InetAddress.getByName("febf::ffff")));
        assertTrue(!AddressRange.parse("fe80::/10").contains(InetAddress.getByName("fec0::")));
        for (String bad : List.of("", "example.org/8", "10.0.0.0/33", "fd00::/129", "10.0.0.0/-1", "10.0.0/8", "0xa9.254.0.0/16", "300.1.1.1/8")) {
            assertThrows(IllegalArgumentException.class, () -> AddressRange.parse(bad), bad);
        }
    }
}
