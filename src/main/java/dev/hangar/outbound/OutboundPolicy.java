package dev.hangar.outbound;

import dev.hangar.core.UrlPolicy;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Where Hangar's own HTTP requests (image and installer downloads, callbacks, templates, registries) may
 * go. Clients choose these URLs, so without a policy they could make Hangar reach what only this host
 * reaches: a cloud's metadata service (169.254.169.254, holding the host's credentials) or Hangar's own
 * API from inside (unsigned on loopback). The rules, in this order, for every address a URL's host
 * resolves to (all of them must pass):
 * <ol>
 *   <li>in an {@code --outbound-deny} range: refused;</li>
 *   <li>a port Hangar listens on, at an address of this host (loopback, 0.0.0.0 or ::, any interface's):
 *       refused, except a GET or HEAD of a file of Hangar's own image catalog (its published images,
 *       which VMs boot by URL). An allow range does not lift this: ranges name addresses, not ports;</li>
 *   <li>in an {@code --outbound-allow} range: allowed;</li>
 *   <li>link-local (169.254.0.0/16, fe80::/10): refused;</li>
 *   <li>anything else: allowed.</li>
 * </ol>
 * IPv4-mapped IPv6 addresses are IPv4 addresses to the JDK already; IPv4-compatible ones
 * ({@code ::a.b.c.d}), NAT64 ones ({@code 64:ff9b::a.b.c.d}) and 6to4 ones ({@code 2002:aabb:ccdd::})
 * are checked as the IPv4 address they carry. A host that ends in a number but is
 * not dotted decimal ({@code 2852039166}, {@code 0xa9.254.169.254}, {@code 169.254.43518},
 * {@code 169.254.169.254.}) is refused outright: curl, browsers and libc read such spellings as
 * addresses, each in its own way, and no honest URL needs them. So is a URL whose host the JDK cannot
 * read at all.
 */
public final class OutboundPolicy implements UrlPolicy {
    /**
     * Link-local addresses, where cloud metadata services answer (169.254.169.254), and AWS's IPv6
     * metadata address, which is not link-local (fd00:ec2::254).
     */
    static final List<AddressRange> LINK_LOCAL = List.of(AddressRange.parse("169.254.0.0/16"), AddressRange.parse("fe80::/10"),
            AddressRange.parse("fd00:ec2::254/128"));
    private static final Pattern ENDS_IN_NUMBER = Pattern.compile("(?i)(.*\\.)?(\\d+|0x[0-9a-f]*)\\.?");
    private static final Pattern DOTTED_DECIMAL =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

    /** Name resolution, as the JDK's HttpClient does it (InetAddress), replaceable in tests. */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final List<AddressRange> allowed;
    private final List<AddressRange> denied;
    private final Pattern catalogPath;
    private final Resolver resolver;
    private final Predicate<InetAddress> ownAddress;
    private final Set<Integer> listenerPorts = ConcurrentHashMap.newKeySet();

    /**
     * @param catalogPrefix the path under which Hangar serves its image catalog as PREFIX/ID/FILE
     *                      (ImageFactoryFace.PUBLISHED)
     */
    public OutboundPolicy(List<AddressRange> allowed, List<AddressRange> denied, String catalogPrefix) {
        this(allowed, denied, catalogPrefix, InetAddress::getAllByName, OutboundPolicy::isThisHost);
    }

    OutboundPolicy(List<AddressRange> allowed, List<AddressRange> denied, String catalogPrefix, Resolver resolver,
                   Predicate<InetAddress> ownAddress) {
        this.allowed = List.copyOf(allowed);
        this.denied = List.copyOf(denied);
        // Exactly the catalog's route: two plain segments, no dot segments, no escapes that could turn into them.
        this.catalogPath = Pattern.compile(Pattern.quote(catalogPrefix) + "/(?!\\.\\.?/)[A-Za-z0-9._-]+/(?!\\.\\.?$)[A-Za-z0-9._-]+");
        this.resolver = resolver;
        this.ownAddress = ownAddress;
    }

    /** A port Hangar serves on (every listener's, once it is known: a listener on port 0 is added after it starts). */
    public void protectListener(int port) {
        if (port > 0) listenerPorts.add(port);
    }

    /**
     * Why a request with this method to this URL must not be sent, or empty when it may. The host is
     * resolved here; UnknownHostException when it does not resolve (the request could not be sent either).
     */
    public Optional<String> refusal(String method, URI uri) throws UnknownHostException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) return Optional.of(uri + " is not an http or https URL");
        String host = uri.getHost();
        if (host == null) {
            return Optional.of("the host of " + uri + " is neither a name nor an address the JDK reads"
                    + " (numeric hosts must be dotted decimal, like 192.0.2.1)");
        }
        String literal = host;
        if (host.startsWith("[")) {
            literal = host.substring(1, host.length() - 1);
            int zone = literal.indexOf('%'); // a scope such as %25eth0: the address before it is what counts
            if (zone >= 0) literal = literal.substring(0, zone);
        } else if (ENDS_IN_NUMBER.matcher(host).matches() && !DOTTED_DECIMAL.matcher(host).matches()) {
            return Optional.of("the host " + host + " of " + uri + " is a number but not a dotted decimal address;"
                    + " other programs read such spellings as other addresses, so Hangar refuses them");
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        boolean catalog = (method.equals("GET") || method.equals("HEAD")) && uri.getRawPath() != null
                && catalogPath.matcher(uri.getRawPath()).matches();
        for (InetAddress address : resolver.resolve(literal)) {
            Optional<String> refused = refusal(address, port, catalog);
            if (refused.isPresent()) return Optional.of(uri.getScheme() + "://" + host + ":" + port + " is " + refused.get());
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> fetchRefusal(String url) {
        return refusalNow("GET", url);
    }

    @Override
    public Optional<String> deliveryRefusal(String url) {
        return refusalNow("POST", url);
    }

    /** A URL that is no URI or whose host does not resolve is not refused here: its request fails later, and is checked then. */
    private Optional<String> refusalNow(String method, String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (java.net.URISyntaxException e) {
            return Optional.empty();
        }
        try {
            return refusal(method, uri);
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a request fetches a file of this host's own image catalog from one of its own listeners:
     * Hangar then signs it as itself, since a catalog's reads are signed when OAuth is on.
     */
    public boolean isOwnCatalog(String method, URI uri) {
        if (!(method.equals("GET") || method.equals("HEAD")) || uri.getRawPath() == null || !catalogPath.matcher(uri.getRawPath()).matches()) {
            return false;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        if (!listenerPorts.contains(port) || uri.getHost() == null) return false;
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        try {
            for (InetAddress address : resolver.resolve(host)) {
                if (!ownAddress.test(embeddedIpv4(address))) return false;
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Why this address and port are refused (a phrase following "ADDRESS:PORT is"), or empty. */
    Optional<String> refusal(InetAddress resolved, int port, boolean catalog) {
        InetAddress address = embeddedIpv4(resolved);
        String where = address.getHostAddress() + (address == resolved ? "" : " (as " + resolved.getHostAddress() + ")");
        for (AddressRange r : denied) {
            if (r.contains(address)) return Optional.of(where + ", in the denied range " + r + " (--outbound-deny)");
        }
        if (listenerPorts.contains(port) && ownAddress.test(address) && !catalog) {
            return Optional.of(where + ", this host's own Hangar listener on port " + port
                    + " (only files of its image catalog may be fetched from it)");
        }
        for (AddressRange r : allowed) {
            if (r.contains(address)) return Optional.empty();
        }
        for (AddressRange r : LINK_LOCAL) {
            if (r.contains(address)) {
                return Optional.of(where + ", a link-local address (where cloud metadata services answer);"
                        + " --outbound-allow opens a range");
            }
        }
        return Optional.empty();
    }

    /**
     * The IPv4 address an IPv4-compatible IPv6 address ({@code ::a.b.c.d}) carries, else the address
     * itself. (IPv4-mapped ones, {@code ::ffff:a.b.c.d}, come out of InetAddress as IPv4 already.)
     */
    static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address v6) || v6.isLoopbackAddress() || v6.isAnyLocalAddress()) return address;
        byte[] a = v6.getAddress();
        if (v6.isIPv4CompatibleAddress() || NAT64.contains(v6)) return ipv4(a[12], a[13], a[14], a[15]);
        if (SIX_TO_FOUR.contains(v6)) return ipv4(a[2], a[3], a[4], a[5]); // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
        return address;
    }

    private static InetAddress ipv4(byte a, byte b, byte c, byte d) {
        try {
            return InetAddress.getByAddress(new byte[] {a, b, c, d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }

    /** The well-known NAT64 prefix: a gateway there forwards to the IPv4 address in the last four bytes. */
    private static final AddressRange NAT64 = AddressRange.parse("64:ff9b::/96");
    /** 6to4: a relay forwards to the IPv4 address in bytes 2..5. */
    private static final AddressRange SIX_TO_FOUR = AddressRange.parse("2002::/16");

    /** Loopback, the wildcard (which the kernel connects to this host) or an address of one of this host's interfaces. */
    static boolean isThisHost(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) return true;
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return true; // cannot tell: count it as ours, the safe side
        }
    }
}
