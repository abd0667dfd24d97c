package dev.hangar.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The host names a listener answers to, the defence against DNS rebinding: a web page the operator
 * visits may point a name of its own at 127.0.0.1, and its requests then carry that name as
 * {@code Host} (and as the page's {@code Origin}), so neither may be trusted as it is sent. A request
 * is for this service when its host is the address the connection arrived on, one of the names the
 * operator configured ({@code hostnames} in the config file, {@code --hostname}), or, on a connection
 * that arrived over loopback, {@code localhost}, {@code 127.0.0.1} or {@code [::1]}; any port.
 * Anything else is refused (421 misdirected-request) before any face, and the origin rule compares a
 * browser's {@code Origin} with this list, never with the request's own {@code Host}.
 */
final class AllowedHosts {
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");
    /** An IPv4 literal, or an IPv6 one in brackets: only these are parsed as addresses (no DNS lookup). */
    private static final Pattern IP_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|\\[[0-9a-f:.]+]");

    private final Set<String> configured;

    AllowedHosts(Collection<String> configured) {
        this.configured = configured.stream().map(AllowedHosts::normalized).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Whether the host part of an authority ({@code name:port}, {@code [v6]:port}) names this service, for
     * a connection that arrived on localAddress (as Jetty gives it: {@code 127.0.0.1}, {@code ::1}).
     */
    boolean allows(String authority, String localAddress) {
        String name = normalized(hostOf(authority));
        if (name.isEmpty()) return false;
        if (configured.contains(name)) return true;
        InetAddress local = address(localAddress);
        if (local == null) return false;
        if (local.isLoopbackAddress() && LOOPBACK_NAMES.contains(name)) return true;
        InetAddress named = IP_LITERAL.matcher(name).matches() ? address(name) : null;
        return local.equals(named);
    }

    /** The host of an authority, without its port; an IPv6 literal keeps its brackets. */
    static String hostOf(String authority) {
        String a = authority.strip();
        if (a.startsWith("[")) {
            int end = a.indexOf(']');
            return end < 0 ? "" : a.substring(0, end + 1);
        }
        int colon = a.lastIndexOf(':');
        if (colon >= 0 && a.indexOf(':') != colon) return ""; // an unbracketed IPv6 literal: not a valid authority
        return colon < 0 ? a : a.substring(0, colon);
    }

    /** Lower case, without the root's trailing dot ({@code localhost.} is localhost). */
    private static String normalized(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static InetAddress address(String literal) {
        String a = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1) : literal;
        // Only literals: a name (even one of hex digits, "cafe") is never looked up here.
        if (!(a.matches("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*") || a.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) return null;
        try {
            return InetAddress.getByName(a);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
