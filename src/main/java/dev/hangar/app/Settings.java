package dev.hangar.app;

import dev.hangar.hypervisor.qemu.Accelerator;
import dev.hangar.network.NetworkSettings;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.security.OAuthGuard;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Everything {@link Hangar} is built from, checked: what {@code hangar serve}'s options and config file
 * say, after {@code ServeOptions} validated them. Nothing here has been opened or made yet, and nothing
 * changes but the outbound policy, to which Hangar adds its listeners' ports once they are bound.
 */
public record Settings(
        Listeners listeners,
        Access access,
        Path dataDir,
        Machines machines,
        Images images,
        Vms vms,
        Callbacks callbacks,
        Factory factory,
        OutboundPolicy outbound,
        List<X509Certificate> caBundle,
        Infrakit infrakit,
        long auditMaxBytes) {

    /** Where the service listens: the main API and, if given, the staging agent's and Image Factory's own. */
    public record Listeners(InetSocketAddress main, InetSocketAddress hosts, InetSocketAddress imageFactory, List<String> hostnames,
                            boolean noSsl, Path sslPem, Duration requestTimeout, Duration idleTimeout) {
        public Listeners {
            hostnames = List.copyOf(hostnames);
        }

        public List<InetSocketAddress> all() {
            return Stream.of(main, hosts, imageFactory).filter(Objects::nonNull).toList();
        }

        /** The listeners not on loopback: reachable from elsewhere. */
        public List<InetSocketAddress> exposed() {
            return all().stream().filter(a -> !a.getAddress().isLoopbackAddress()).toList();
        }

        /** TLS is on where the operator gave a certificate, and on every listener off loopback, unless --no_ssl. */
        public boolean usesTls(InetSocketAddress listener) {
            return !noSsl && (sslPem != null || !listener.getAddress().isLoopbackAddress());
        }

        public static String where(List<InetSocketAddress> listeners) {
            return listeners.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(", "));
        }
    }

    /** Who may do what: the OAuth clients (consumer key → secret), and which reads are open. */
    public record Access(Map<String, String> clients, Set<String> bodyHashRequired, boolean noOauth, Duration oauthWindow,
                         Set<String> openReads, boolean imageFactoryOpenReads) {
        public Access {
            clients = Map.copyOf(clients);
            bodyHashRequired = Set.copyOf(bodyHashRequired);
            openReads = Set.copyOf(openReads);
        }

        public boolean oauth() {
            return !clients.isEmpty() && !noOauth;
        }

        /**
         * Why these non-loopback listeners may not start, or null: OAuth must be on there (clients
         * configured) or turned off on purpose with --no_oauth, so a service reachable from elsewhere never
         * takes unsigned writes by accident.
         */
        public String exposureRefusal(List<InetSocketAddress> exposed) {
            if (exposed.isEmpty() || !clients.isEmpty() || noOauth) return null;
            return "listening on " + Listeners.where(exposed)
                    + " needs OAuth: give \"clients\" in the config file (--config), or pass --no_oauth to take unsigned writes";
        }

        /**
         * With OAuth on, whether a read on this listener must be signed: every read, but those that are always
         * open (health, the console's page), those of a listener given --open-reads, and Image Factory's
         * with --imagefactory-open-reads. A path that routes nowhere is answered 404 either way.
         */
        public boolean signedRead(String listener, List<String> segments) {
            if (segments == null || openReads.contains(listener) || OAuthGuard.alwaysOpen(segments)) return false;
            return !(imageFactoryOpenReads && segments.get(0).equals("imagefactory"));
        }
    }

    /** The hypervisor and how its machines are wired. */
    public record Machines(String driver, String libvirtUri, String qemu, Accelerator accelerator, NetworkSettings network) {
        public boolean libvirt() {
            return driver.equals("libvirt");
        }
    }

    /** Gold images: the largest download, the cache's limit, how long a download may stall, a local VM library. */
    public record Images(long maxBytes, OptionalLong cacheLimit, Duration stallTimeout, Path vmLib) {}

    /** VMs and groups. */
    public record Vms(Duration toolsInitTimeout, Duration deleteGrace, int max, int maxConcurrentCreates, Duration groupResync) {}

    /** Callbacks to clients: their signing secret, how long one is retried, how long a delivered one is kept. */
    public record Callbacks(String secret, Duration retryFor, Duration retention) {}

    /** Image Factory's builds. */
    public record Factory(int maxBuilds, long minFreeBytes, URI aptProxy, Path exportDir) {}

    /** The InfraKit plugin's socket (null: none), whether the operator named it, and whether failed instances are kept. */
    public record Infrakit(Path socket, boolean given, boolean keepFailed) {}
}
