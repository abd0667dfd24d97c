package dev.hangar.cli;

import dev.hangar.api.ApiServer;
import dev.hangar.api.groups.GroupsFace;
import dev.hangar.api.images.ImagesFace;
import dev.hangar.api.events.EventsFace;
import dev.hangar.api.ops.HealthFace;
import dev.hangar.api.ops.MetricsFace;
import dev.hangar.api.ops.RequestMetrics;
import dev.hangar.metrics.HangarMetrics;
import dev.hangar.api.hosts.HostsFace;
import dev.hangar.api.imagefactory.BuildCallbacks;
import dev.hangar.api.imagefactory.ImageFactoryFace;
import dev.hangar.builds.HttpTemplateFetcher;
import dev.hangar.builds.MockOsBuilder;
import dev.hangar.builds.debian.DebianImageBuilder;
import dev.hangar.builds.providers.DirectoryProvider;
import dev.hangar.builds.providers.HangarProvider;
import dev.hangar.builds.providers.OciProvider;
import dev.hangar.builds.providers.ProviderPublishers;
import dev.hangar.builds.targets.TargetWriter;
import dev.hangar.core.builds.ImageFactory;
import dev.hangar.store.FactoryImageRepository;
import dev.hangar.api.infrakit.InfrakitFace;
import dev.hangar.api.infrakit.UnixSocketServer;
import dev.hangar.api.operations.OperationsFace;
import dev.hangar.api.ui.UiFace;
import dev.hangar.api.vms.VmCallbacks;
import dev.hangar.api.vms.VmsFace;
import dev.hangar.callbacks.CallbackDispatcher;
import dev.hangar.core.HangarException;
import dev.hangar.core.ImageCache;
import dev.hangar.core.MemorySize;
import dev.hangar.core.NetworkService;
import dev.hangar.core.OperationLog;
import dev.hangar.core.Subnet;
import dev.hangar.core.VmService;
import dev.hangar.core.groups.GroupService;
import dev.hangar.core.groups.PluginInstances;
import dev.hangar.core.VmLimits;
import dev.hangar.core.VmSettings;
import dev.hangar.core.ports.MachineDriver;
import dev.hangar.hypervisor.libvirt.LibvirtDriver;
import dev.hangar.hypervisor.qemu.Accelerator;
import dev.hangar.hypervisor.qemu.QemuDriver;
import dev.hangar.images.GoldImageStore;
import dev.hangar.images.InstallerStore;
import dev.hangar.network.LinuxNetworks;
import dev.hangar.network.NetworkSettings;
import dev.hangar.outbound.AddressRange;
import dev.hangar.outbound.OutboundHttpClient;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.outbound.OutboundTls;
import dev.hangar.security.AuditLog;
import dev.hangar.security.FailureLimiter;
import dev.hangar.security.OAuth1Signer;
import dev.hangar.security.OAuth1Verifier;
import dev.hangar.security.OAuthGuard;
import dev.hangar.security.UiSessions;
import dev.hangar.security.TlsCertificate;
import dev.hangar.store.CallbackOutbox;
import dev.hangar.store.DataDirectory;
import dev.hangar.store.Database;
import dev.hangar.process.QemuUsers;
import dev.hangar.store.GroupRepository;
import dev.hangar.store.NetworkRepository;
import dev.hangar.store.TemplateRepository;
import dev.hangar.store.OperationRepository;
import dev.hangar.store.VmRepository;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hangar serve}: the service. Wires the layers together and runs until SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Hangar service.")
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:12345",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = {"--hostname", "--hostnames"}, paramLabel = "NAME",
            description = "A name clients reach this service by (repeatable; in the config file, \"hostnames\": [...]). Every listener answers"
                    + " to its own addresses, to localhost over loopback, and to these; a request for any other host is refused"
                    + " (421 misdirected-request), as a DNS-rebinding page's would be.")
    List<String> hostnames = new java.util.ArrayList<>();

    @Option(names = "--hosts-listen", paramLabel = "HOST:PORT",
            description = "Also serve the staging agent's API (/host, /hosts, /networks) here, e.g. 127.0.0.1:8420, where its clients look for it.")
    String hostsListen;

    @Option(names = "--imagefactory-listen", paramLabel = "HOST:PORT",
            description = "Also serve Image Factory's API (/imagefactory) here, e.g. 127.0.0.1:8075, where its clients look for it.")
    String imagefactoryListen;

    @Option(names = "--max-builds", defaultValue = "1", description = "Image builds and conversions that run at once (default: ${DEFAULT-VALUE}).")
    int maxBuilds;

    @Option(names = "--build-min-free", defaultValue = "2gib",
            description = "Free space under the data directory a build needs to start (default: ${DEFAULT-VALUE}).")
    String buildMinFree;

    @Option(names = "--apt-proxy", paramLabel = "URL", description = "An HTTP proxy for the apt archive when Debian images are built (default: none).")
    String aptProxy;

    @Option(names = "--export-dir", paramLabel = "DIR",
            description = "Where the directory provider may write images (default: DATA-DIR/exports).")
    Path exportDir;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the database, gold images and VM disks live (default: /var/lib/hangar as root, else ~/.local/share/hangar).")
    Path dataDir;

    @Option(names = "--accel", defaultValue = "auto", description = "Accelerator: auto (probe), kvm or tcg (default: ${DEFAULT-VALUE}).")
    String accel;

    @Option(names = "--driver", defaultValue = "qemu",
            description = "How machines run: qemu (a detached QEMU per VM) or libvirt (libvirt domains) (default: ${DEFAULT-VALUE}).")
    String driverName;

    @Option(names = "--libvirt-uri", defaultValue = "qemu:///system", description = "The libvirt to use with --driver libvirt (default: ${DEFAULT-VALUE}).")
    String libvirtUri;

    @Option(names = "--qemu", defaultValue = "qemu-system-x86_64", description = "The QEMU binary (default: ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--network-mode", defaultValue = "bridge",
            description = "bridge: managed bridges, taps and dnsmasq (needs root); user: QEMU user-mode networking (default: ${DEFAULT-VALUE}).")
    String networkMode;

    @Option(names = "--nat-bridge", defaultValue = "hangar0", description = "Bridge for nat VMs (default: ${DEFAULT-VALUE}).")
    String natBridge;

    @Option(names = "--nat-subnet", defaultValue = "10.213.0.0/24", description = "Subnet of the nat bridge (default: ${DEFAULT-VALUE}).")
    String natSubnet;

    @Option(names = "--hostonly-bridge", defaultValue = "hangar1", description = "Bridge for hostonly VMs (default: ${DEFAULT-VALUE}).")
    String hostonlyBridge;

    @Option(names = "--hostonly-subnet", defaultValue = "10.214.0.0/24", description = "Subnet of the hostonly bridge (default: ${DEFAULT-VALUE}).")
    String hostonlySubnet;

    @Option(names = {"--allow-host-access", "--allow_host_access"}, paramLabel = "NETWORK",
            description = "Let the guests of this built-in network (nat or hostonly, or user for --network-mode user) reach the host's"
                    + " own services (repeatable; \"allow_host_access\": [...]). By default they reach only its DHCP and DNS, and no"
                    + " link-local address.")
    List<String> allowHostAccess = new java.util.ArrayList<>();

    @Option(names = {"--bridge", "--bridges"}, paramLabel = "BRIDGE",
            description = "An existing bridge of this host that defined networks may take (repeatable; in the config file, \"bridges\": [...])."
                    + " Otherwise a network's bridge is an Open vSwitch bridge Hangar makes.")
    List<String> bridges = new java.util.ArrayList<>();

    @Option(names = "--bridged-interface", paramLabel = "BRIDGE", description = "Existing host bridge for bridged VMs.")
    String bridgedInterface;

    @Option(names = "--vm-lib", paramLabel = "DIR",
            description = "The VM library: VMs may boot its folders NAME.vmwarevm (NAME.vmx and its disks) with \"image\": {\"library\": \"NAME\"}.")
    Path vmLib;

    @Option(names = "--max-image-size", defaultValue = "64gib", description = "Largest image download or unpacked size (default: ${DEFAULT-VALUE}).")
    String maxImageSize;

    @Option(names = "--download-stall-timeout", defaultValue = "60",
            description = "Seconds a download may go without a byte before it fails (default: ${DEFAULT-VALUE}).")
    int downloadStallTimeout;

    @Option(names = "--tools-init-timeout", defaultValue = "180",
            description = "Seconds to wait for a guest's address when a request says 0 (default: ${DEFAULT-VALUE}).")
    int toolsInitTimeout;

    @Option(names = "--delete-grace", defaultValue = "10",
            description = "Seconds a guest gets to power off cleanly on DELETE before a hard stop (default: ${DEFAULT-VALUE}).")
    int deleteGrace;

    @Option(names = "--group-resync", defaultValue = "30",
            description = "Seconds between checks of every group when none of its members changed (default: ${DEFAULT-VALUE}).")
    int groupResync;

    @Option(names = "--callback-secret", defaultValue = "${env:HANGAR_CALLBACK_SECRET}",
            description = "Sign callbacks: header X-Hangar-Signature: sha256=HMAC-SHA256(body). Also from HANGAR_CALLBACK_SECRET.")
    String callbackSecret;

    @Option(names = "--callback-retry-for", defaultValue = "3600",
            description = "Seconds to keep retrying a callback (default: ${DEFAULT-VALUE}).")
    int callbackRetryFor;

    @Option(names = "--callback-retention-days", defaultValue = "7",
            description = "Days a delivered or abandoned callback is kept before it is forgotten; pending ones are kept until they end (default: ${DEFAULT-VALUE}).")
    int callbackRetentionDays;

    @Option(names = "--infrakit-socket", paramLabel = "PATH",
            description = "Serve the InfraKit instance plugin (both its 2016 and JSON-RPC forms) on this Unix socket, e.g. ~/.infrakit/plugins/NAME (default: DATA-DIR/infrakit/hangar.sock).")
    Path infrakitSocket;

    @Option(names = "--infrakit-keep-failed",
            description = "Keep InfraKit instances that powered off, were suspended or failed, for inspection (default: they are removed; either way their group replaces them).")
    boolean infrakitKeepFailed;

    @Option(names = "--max-vms", defaultValue = "200",
            description = "VMs this service keeps at most; past it a create is refused 507 vm-limit-reached (default: ${DEFAULT-VALUE}).")
    int maxVms;

    @Option(names = "--max-concurrent-creates", defaultValue = "8",
            description = "VMs created (downloaded, converted, booted) at once at most; past it a create is refused 429 too-many-creates (default: ${DEFAULT-VALUE}).")
    int maxConcurrentCreates;

    @Option(names = "--request-timeout", defaultValue = "60",
            description = "Seconds a client has to send a whole request (headers and body) before its connection is closed (default: ${DEFAULT-VALUE}).")
    int requestTimeout;

    @Option(names = "--idle-timeout", defaultValue = "30",
            description = "Seconds an idle kept-alive connection stays open (default: ${DEFAULT-VALUE}).")
    int idleTimeout;

    @Option(names = {"--audit-max-bytes", "--audit_max_bytes"}, paramLabel = "SIZE", defaultValue = "10mib",
            description = "audit.log is rotated when it would grow past this (audit.log.1 to .4 are kept) (default: ${DEFAULT-VALUE}).")
    String auditMaxSize;
    long auditMaxBytes;

    @Option(names = "--image-cache-size", paramLabel = "SIZE",
            description = "Disk the gold image cache may use, e.g. 100gib: past it, golds no VM uses go, least recently used first (default: no limit; POST /images/prune removes every unused one).")
    String imageCacheSize;

    @Option(names = "--config", paramLabel = "PATH",
            description = "The config file: JSON, option names without dashes, and \"clients\" for OAuth (default: DATA-DIR/hangar.json, if it exists). Flags override it.")
    Path config;

    @Option(names = {"--no-oauth", "--no_oauth"},
            description = "Turn OAuth off on every listener even though clients are configured (logs a warning).")
    boolean noOauth;

    @Option(names = "--oauth-window", defaultValue = "300",
            description = "Seconds a signed request's oauth_timestamp may be from this host's clock (default: ${DEFAULT-VALUE}).")
    int oauthWindow;

    @Option(names = "--imagefactory-open-reads",
            description = "With OAuth on, leave Image Factory's reads (its API and published images) unsigned as v1 did (default: signed, as v2 wants).")
    boolean imagefactoryOpenReads;

    @Option(names = {"--open-reads", "--open_reads"}, paramLabel = "LISTENER",
            description = "With OAuth on, leave every read unsigned on this listener: main, hosts or imagefactory (repeatable; in the config"
                    + " file, \"open_reads\": [...]). Default: with OAuth on, every read is signed but /healthz, /readyz and the web"
                    + " console's page.")
    List<String> openReads = new java.util.ArrayList<>();

    @Option(names = "--port", paramLabel = "N",
            description = "Image Factory's own flag: serve Image Factory's API alone on port N of --listen's host (as --imagefactory-listen).")
    Integer port;

    @Option(names = {"--no-ssl", "--no_ssl"},
            description = "Serve plain HTTP on every listener, even off loopback (logs a warning; default: TLS on every listener not on loopback).")
    boolean noSsl;

    @Option(names = {"--ssl-pem", "--ssl_pem"}, paramLabel = "PATH",
            description = "TLS on every listener with this PEM: an unencrypted private key (EC, or RSA of 3072 bits or more) and its certificate chain, leaf first (default: a self-signed certificate made at first start in DATA-DIR/tls, for listeners not on loopback).")
    Path sslPem;

    @Option(names = "--ca-bundle", paramLabel = "PATH",
            description = "PEM certificates of CAs that Hangar's own requests (downloads, callbacks, templates, registries) trust besides the system's.")
    Path caBundle;

    @Option(names = "--outbound-allow", paramLabel = "CIDR", split = ",",
            description = "Address ranges Hangar's own requests may reach although denied by default (link-local); repeatable or comma-separated.")
    List<String> outboundAllow = List.of();

    @Option(names = "--outbound-deny", paramLabel = "CIDR", split = ",",
            description = "Address ranges Hangar's own requests never reach, whatever else is allowed; repeatable or comma-separated.")
    List<String> outboundDeny = List.of();

    @Spec
    CommandSpec spec;

    /** consumer key → secret, from the config file's "clients". */
    private Map<String, String> clients = Map.of();
    /** Failed signatures one source address may send in a minute before it must wait. */
    static final int SIGNATURE_FAILURES_PER_MINUTE = 30;
    /** The clients whose signed non-form bodies must carry oauth_body_hash ("require_body_hash"). */
    private java.util.Set<String> bodyHashRequired = java.util.Set.of();

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        try {
            applyConfigFile();
        } catch (IllegalArgumentException e) {
            System.err.println("hangar: --config: " + e.getMessage());
            return 2;
        }
        // Every option is checked before anything is opened or made; a bad one is a one-line error.
        InetSocketAddress address;
        InetSocketAddress hostsAddress = null;
        InetSocketAddress factoryAddress = null;
        long buildMinFreeBytes;
        long maxImageBytes;
        java.util.OptionalLong imageCacheLimit = java.util.OptionalLong.empty();
        OutboundPolicy outbound;
        javax.net.ssl.SSLContext outboundTls;
        NetworkSettings net;
        Accelerator accelerator;
        try {
            address = parseListen(listen);
            if (hostsListen != null) hostsAddress = parseListen(hostsListen);
            if (imagefactoryListen != null) factoryAddress = parseListen(imagefactoryListen);
            if (port != null) {
                if (imagefactoryListen != null) throw new IllegalArgumentException("give --port or --imagefactory-listen, not both");
                if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be a port number, not " + port);
                factoryAddress = new InetSocketAddress(address.getAddress(), port);
            }
            if (oauthWindow < 1) throw new IllegalArgumentException("--oauth-window must be at least 1 second");
            if (callbackRetentionDays < 0) throw new IllegalArgumentException("--callback-retention-days must be 0 or more");
            if (maxVms < 1) throw new IllegalArgumentException("--max-vms must be at least 1");
            if (maxConcurrentCreates < 1) throw new IllegalArgumentException("--max-concurrent-creates must be at least 1");
            if (requestTimeout < 1) throw new IllegalArgumentException("--request-timeout must be at least 1 second");
            if (idleTimeout < 1) throw new IllegalArgumentException("--idle-timeout must be at least 1 second");
            if (sslPem != null && noSsl) throw new IllegalArgumentException("--ssl_pem and --no_ssl contradict each other");
            if (sslPem != null && !Files.isReadable(sslPem)) throw new IllegalArgumentException("--ssl_pem: cannot read " + sslPem);
            if (maxBuilds < 1) throw new IllegalArgumentException("--max-builds must be at least 1");
            buildMinFreeBytes = bytes("--build-min-free", buildMinFree);
            if (aptProxy != null && !aptProxy.matches("(?i)https?://\\S+")) throw new IllegalArgumentException("--apt-proxy must be an http URL, not " + aptProxy);
            if (downloadStallTimeout < 1) throw new IllegalArgumentException("--download-stall-timeout must be at least 1 second");
            if (groupResync < 1) throw new IllegalArgumentException("--group-resync must be at least 1 second");
            maxImageBytes = maxImageBytes(maxImageSize);
            if (imageCacheSize != null) imageCacheLimit = java.util.OptionalLong.of(bytes("--image-cache-size", imageCacheSize));
            auditMaxBytes = auditBytes(auditMaxSize);
            outbound = new OutboundPolicy(ranges("--outbound-allow", outboundAllow), ranges("--outbound-deny", outboundDeny), ImageFactoryFace.PUBLISHED);
            for (InetSocketAddress listener : java.util.Arrays.asList(address, hostsAddress, factoryAddress)) {
                if (listener != null) outbound.protectListener(listener.getPort()); // port 0: added once it is bound
            }
            outboundTls = OutboundTls.context(caBundle);
            if (!networkMode.equals("user") && !networkMode.equals("bridge")) {
                throw new IllegalArgumentException("--network-mode must be bridge or user, not " + networkMode);
            }
            for (String network : allowHostAccess) {
                if (!network.equals("nat") && !network.equals("hostonly") && !network.equals(NetworkSettings.USER_MODE)) {
                    throw new IllegalArgumentException("--allow-host-access must name nat, hostonly or user, not " + network);
                }
            }
            net = new NetworkSettings(networkMode.equals("user"), natBridge, Subnet.parse(natSubnet),
                    hostonlyBridge, Subnet.parse(hostonlySubnet), bridgedInterface, bridges, java.util.Set.copyOf(allowHostAccess));
            accelerator = Accelerator.choose(accel);
            if (!driverName.equals("qemu") && !driverName.equals("libvirt")) {
                throw new IllegalArgumentException("--driver must be qemu or libvirt, not " + driverName);
            }
            if (vmLib != null && !Files.isDirectory(vmLib)) {
                throw new IllegalArgumentException("--vm-lib must be a directory of VM folders, and " + vmLib + " is not one");
            }
        } catch (IllegalArgumentException | UnknownHostException e) {
            System.err.println("hangar: " + e.getMessage());
            return 2;
        }
        for (String name : openReads) {
            if (!List.of("main", "hosts", "imagefactory").contains(name)) {
                System.err.println("hangar: --open-reads: \"" + name + "\" is no listener (main, hosts or imagefactory)");
                return 2;
            }
        }
        List<InetSocketAddress> listeners = java.util.stream.Stream.of(address, hostsAddress, factoryAddress)
                .filter(java.util.Objects::nonNull).toList();
        List<InetSocketAddress> exposed = listeners.stream().filter(a -> !a.getAddress().isLoopbackAddress()).toList();
        String refusal = exposureRefusal(exposed);
        if (refusal != null) {
            System.err.println("hangar: " + refusal);
            return 2;
        }
        boolean oauth = !clients.isEmpty() && !noOauth;
        if (noOauth) log.warn("--no_oauth: OAuth is off on every listener; whoever reaches one may change anything");
        if (noSsl && !exposed.isEmpty()) log.warn("--no_ssl: plain HTTP on {}; anyone on the way reads and changes what is sent", where(exposed));
        Path data = (dataDir != null ? dataDir : defaultDataDir()).toAbsolutePath();
        SSLContext tls = null;
        try {
            TlsCertificate certificate = tlsCertificate(listeners, data.resolve("tls"));
            if (certificate != null) {
                tls = certificate.serverContext();
                outboundTls = OutboundTls.context(caBundle, List.of(certificate.chain().getFirst()));
            }
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("hangar: " + (sslPem != null ? "--ssl_pem: " : "TLS: ") + e.getMessage());
            return 2;
        }
        Path socket = (infrakitSocket != null ? infrakitSocket : data.resolve("infrakit").resolve("hangar.sock")).toAbsolutePath();
        try {
            UnixSocketServer.checkPath(socket);
        } catch (IllegalArgumentException e) {
            if (infrakitSocket != null) {
                System.err.println("hangar: --infrakit-socket: " + e.getMessage());
                return 2;
            }
            // Only the default path is at fault: the rest of Hangar need not stop for a plugin nobody asked for.
            log.warn("no InfraKit plugin socket at the default {}: {}; give --infrakit-socket to serve one", socket, e.getMessage());
            socket = null;
        }
        try {
            // Under libvirt, QEMU runs as libvirt's own user, who is not in the QEMUs' group.
            DataDirectory.secure(data, driverName.equals("libvirt") ? java.util.Optional.empty() : QemuUsers.onThisHost().map(QemuUsers::gid));
        } catch (IOException e) {
            System.err.println("hangar: the data directory " + data + ": " + e.getMessage());
            return 2;
        }
        String instance = instanceId(data);
        MachineDriver driver;
        try {
            driver = driverName.equals("libvirt") ? LibvirtDriver.connect(libvirtUri, accelerator, instance)
                    : new QemuDriver(qemu, accelerator);
        } catch (IOException e) {
            System.err.println("hangar: " + e.getMessage());
            return 2;
        }
        Database db = Database.open(data.resolve("hangar.db"));
        // Every request Hangar makes on a client's behalf goes through these two: checked against the outbound policy at every hop.
        OutboundHttpClient http = OutboundHttpClient.fetching(outbound, outboundTls);
        Duration stall = Duration.ofSeconds(downloadStallTimeout);
        GoldImageStore images = new GoldImageStore(data.resolve("images"), maxImageBytes, http, stall, vmLib);
        InstallerStore installers = new InstallerStore(data.resolve("installers"), http, maxImageBytes, stall);
        CallbackOutbox outbox = new CallbackOutbox(db);
        HttpClient callbackHttp = OutboundHttpClient.delivering(outbound, outboundTls);
        CallbackDispatcher dispatcher = new CallbackDispatcher(outbox, callbackHttp, callbackSecret, Clock.systemUTC(),
                Duration.ofDays(callbackRetentionDays));
        VmRepository vmStore = new VmRepository(db);
        LinuxNetworks fabric = new LinuxNetworks(net, data.resolve("networks"), instance);
        NetworkService networks = new NetworkService(new NetworkRepository(db), fabric, vmStore, Clock.systemUTC());
        OperationLog operations = new OperationLog(new OperationRepository(db), Clock.systemUTC());
        VmService vms = new VmService(
                new VmService.Ports(vmStore, images, installers, driver, fabric,
                        new VmCallbacks(outbox, dispatcher, Duration.ofSeconds(callbackRetryFor), Clock.systemUTC()), outbound),
                networks, operations,
                new VmSettings(data.resolve("vms"), VmSettings.DEFAULT_CPUS, VmSettings.DEFAULT_MEMORY_MIB, Duration.ofSeconds(toolsInitTimeout),
                        Duration.ofSeconds(deleteGrace), Duration.ofSeconds(2), new VmLimits(maxVms, maxConcurrentCreates)),
                Clock.systemUTC());
        ImageCache imageCache = new ImageCache(images, vmStore, imageCacheLimit, vms.admissions());
        vms.watch(imageCache::noticed);
        GroupService groups = new GroupService(new TemplateRepository(db), new GroupRepository(db), vms, Clock.systemUTC(),
                Duration.ofSeconds(groupResync));
        // One verifier and one audit log for every listener: one nonce cache, one file. Each listener's
        // guard knows which of its reads are signed. The web console's logins stand for the same clients
        // (with OAuth off it needs none); Hangar itself, fetching an image it published, signs as a client
        // of its own that exists only in this process.
        UiSessions uiSessions = oauth ? new UiSessions(clients, Clock.systemUTC(), UiSessions.DEFAULT_LIFETIME, UiSessions.DEFAULT_CAPACITY) : null;
        OAuth1Verifier verifier = null;
        if (oauth) {
            String selfKey = "hangar-self-" + java.util.HexFormat.of().formatHex(randomBytes(8));
            String selfSecret = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
            Map<String, String> verified = new java.util.HashMap<>(clients);
            verified.put(selfKey, selfSecret);
            verifier = new OAuth1Verifier(verified, bodyHashRequired, Clock.systemUTC(), Duration.ofSeconds(oauthWindow));
            OAuth1Signer self = new OAuth1Signer(selfKey, selfSecret);
            http.signCatalogRequests((method, uri) -> self.authorization(method, uri, null, new byte[0]));
        }
        OAuth1Verifier oauthVerifier = verifier;
        // Failed signatures are counted per source address over every listener: a guesser is slowed, nobody else.
        FailureLimiter signatureFailures = new FailureLimiter(SIGNATURE_FAILURES_PER_MINUTE, Duration.ofMinutes(1), Clock.systemUTC());
        java.util.function.Function<String, ApiServer.Guard> guardOf = name -> oauthVerifier == null
                ? exchange -> ApiServer.Admission.open()
                : new OAuthGuard(oauthVerifier, segments -> signedRead(name, segments), uiSessions, signatureFailures);
        AuditLog audit = new AuditLog(data.resolve("audit.log"), Clock.systemUTC(), auditMaxBytes).start();
        HangarMetrics metrics = new HangarMetrics(() -> vmStore.all().stream()
                .collect(java.util.stream.Collectors.groupingBy(dev.hangar.core.Vm::status, java.util.stream.Collectors.counting())),
                outbox::pendingCount, Clock.systemUTC());
        vms.watch(metrics::vmChanged);
        operations.watch(metrics::operationChanged);
        images.observe(new GoldImageStore.Observer() {
            @Override public void cacheHit() { metrics.imageCacheHit(); }
            @Override public void downloaded(long bytes) { metrics.imageDownloaded(bytes); }
        });
        dispatcher.onAttempt(metrics::callbackAttempt);
        EventsFace events = new EventsFace(Clock.systemUTC());
        vms.watch(events::vmChanged);
        operations.watch(events::operationChanged);
        HealthFace health = new HealthFace(List.of(
                new HealthFace.Check("database", () -> db.with(c -> {
                    try (var st = c.createStatement()) {
                        st.execute("SELECT 1");
                    }
                    return null;
                })),
                new HealthFace.Check("hypervisor", driver::unusable),
                new HealthFace.Check("networks", fabric::unusable)));
        String baseUrl = (usesTls(address) ? "https://" : "http://") + (address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getHostString()) + ":" + address.getPort();
        HangarProvider published = new HangarProvider(data.resolve("published"), java.net.URI.create(baseUrl + ImageFactoryFace.PUBLISHED));
        ImageFactory factory = new ImageFactory(new ImageFactory.Ports(new FactoryImageRepository(db),
                List.of(new MockOsBuilder(), new DebianImageBuilder(aptProxy == null ? null : java.net.URI.create(aptProxy), http)), new TargetWriter(),
                new ProviderPublishers(List.of(published, new DirectoryProvider(exportDir != null ? exportDir : data.resolve("exports")),
                        new OciProvider(http, outbound))),
                new HttpTemplateFetcher(http), new BuildCallbacks(callbackHttp, baseUrl), outbound),
                new ImageFactory.Settings(data.resolve("builds"), maxBuilds, buildMinFreeBytes), operations, Clock.systemUTC());
        Faces faces = new Faces(new VmsFace(vms), new GroupsFace(groups), new HostsFace(vms, networks), new OperationsFace(operations),
                new ImagesFace(imageCache), new MetricsFace(metrics::scrape), events, health, new ImageFactoryFace(factory, published::find),
                new UiFace(uiSessions));
        // Every listener alike: the same guard, audit log and timeouts; its requests counted under its name.
        java.util.function.Function<String, ApiServer> listener = name -> new ApiServer().hostnames(hostnames).guard(guardOf.apply(name)).recorder(audit)
                .recorder(new RequestMetrics(metrics.registry(), name)).timeouts(Duration.ofSeconds(requestTimeout), Duration.ofSeconds(idleTimeout));
        ApiServer api = listener.apply("main");
        faces.registerMain(api);
        ApiServer hostsApi = listener.apply("hosts");
        faces.registerHosts(hostsApi);
        ApiServer factoryApi = listener.apply("imagefactory");
        faces.registerImageFactory(factoryApi);
        PluginInstances instances = new PluginInstances(vms, infrakitKeepFailed);
        InfrakitFace infrakit = new InfrakitFace(instances);

        vms.start();
        groups.start();
        factory.start();
        published.removeLeftovers();
        dispatcher.start();
        UnixSocketServer infrakitServer = null;
        if (socket != null) {
            try {
                infrakitServer = infrakit.serve(socket);
            } catch (IOException e) {
                // Checked at the start; only another process taking the path since then gets here.
                System.err.println("hangar: --infrakit-socket: " + e.getMessage());
                return 2;
            }
            log.info("the InfraKit instance plugin on {}", socket);
        }
        UnixSocketServer plugin = infrakitServer;
        api.start(address, usesTls(address) ? tls : null);
        outbound.protectListener(api.address().getPort());
        if (hostsAddress != null) {
            hostsApi.start(hostsAddress, usesTls(hostsAddress) ? tls : null);
            outbound.protectListener(hostsApi.address().getPort());
            log.info("the staging agent's API also on {}", url(hostsApi, hostsAddress));
        }
        if (factoryAddress != null) {
            factoryApi.start(factoryAddress, usesTls(factoryAddress) ? tls : null);
            outbound.protectListener(factoryApi.address().getPort());
            log.info("Image Factory's API also on {}", url(factoryApi, factoryAddress));
        }
        if (oauth) {
            log.info("OAuth on every listener: {} client(s); writes and reads must be signed{}{}", clients.size(),
                    openReads.isEmpty() ? "" : ", but reads on " + String.join(", ", openReads),
                    imagefactoryOpenReads ? ", but Image Factory's reads" : "");
        } else {
            log.info("OAuth off: {}", noOauth ? "--no_oauth" : "no clients configured");
        }
        log.info("hangar listening on {} (data in {}; ready in {} ms)", url(api, address), data, (System.nanoTime() - started) / 1_000_000);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // VMs keep running: they are not the service's children and it adopts them at the next start.
            api.close();
            hostsApi.close();
            factoryApi.close();
            audit.close();
            factory.close();
            if (plugin != null) plugin.close(); // removes the socket file
            instances.close();
            groups.close();
            imageCache.close();
            vms.close();
            if (driver instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    log.debug("closing the machine driver: {}", e.getMessage());
                }
            }
            dispatcher.close();
            db.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    /**
     * Reads the config file (the given one, else DATA-DIR/hangar.json when it exists) and takes from it
     * every option the command line did not give: flags override the file.
     */
    void applyConfigFile() {
        Path file = config != null ? config : (dataDir != null ? dataDir : defaultDataDir()).resolve("hangar.json");
        if (!Files.exists(file)) {
            if (config != null) throw new IllegalArgumentException("no such file: " + config);
            return;
        }
        ConfigFile.Contents contents = ConfigFile.read(file, spec);
        CommandLine.ParseResult fromFile;
        try {
            fromFile = new CommandLine(new ServeCommand()).parseArgs(contents.arguments().toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        for (OptionSpec option : fromFile.matchedOptions()) {
            if (given == null || !given.hasMatchedOption(option.longestName())) spec.findOption(option.longestName()).setValue(option.getValue());
        }
        clients = contents.clients();
        bodyHashRequired = contents.bodyHashRequired();
        for (String key : clients.keySet()) {
            if (!bodyHashRequired.contains(key)) {
                log.info("OAuth client {} may sign a JSON body without oauth_body_hash (its body is then not signed);"
                        + " give it {{\"secret\": ..., \"require_body_hash\": true}} once its tool sends one", key);
            }
        }
        if (!clients.isEmpty() && othersMayRead(file)) log.warn("{} holds OAuth secrets and other users may read it: chmod 600 it", file);
    }

    /** The OAuth clients the config file gave (consumer key → secret). */
    Map<String, String> clients() {
        return clients;
    }

    /** Those of them that must send oauth_body_hash with every non-form body. */
    java.util.Set<String> bodyHashRequired() {
        return bodyHashRequired;
    }

    private static boolean othersMayRead(Path file) {
        try {
            return Files.getPosixFilePermissions(file).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Why these non-loopback listeners may not start, or null: OAuth must be on there (clients
     * configured) or turned off on purpose with --no_oauth, so a service reachable from elsewhere never
     * takes unsigned writes by accident.
     */
    String exposureRefusal(List<InetSocketAddress> exposed) {
        if (exposed.isEmpty() || !clients.isEmpty() || noOauth) return null;
        return "listening on " + where(exposed) + " needs OAuth: give \"clients\" in the config file (--config), or pass --no_oauth to take unsigned writes";
    }

    /**
     * With OAuth on, whether a read on this listener must be signed: every read, but those that are always
     * open (health, the console's page), those of a listener given --open-reads, and Image Factory's
     * with --imagefactory-open-reads. A path that routes nowhere is answered 404 either way.
     */
    boolean signedRead(String listener, List<String> segments) {
        if (segments == null || openReads.contains(listener) || OAuthGuard.alwaysOpen(segments)) return false;
        return !(imagefactoryOpenReads && segments.get(0).equals("imagefactory"));
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /** TLS is on where the operator gave a certificate, and on every listener off loopback, unless --no_ssl. */
    boolean usesTls(InetSocketAddress listener) {
        return !noSsl && (sslPem != null || !listener.getAddress().isLoopbackAddress());
    }

    /**
     * The certificate every TLS listener presents, or null when none uses TLS: from --ssl_pem, else the
     * self-signed certificate in {@code tlsDir} (made now if there is none), naming this host and every
     * address listened on.
     */
    TlsCertificate tlsCertificate(List<InetSocketAddress> listeners, Path tlsDir) throws IOException {
        if (listeners.stream().noneMatch(this::usesTls)) return null;
        if (sslPem != null) return TlsCertificate.readPem(sslPem);
        List<InetAddress> addresses = new java.util.ArrayList<>(TlsCertificate.hostAddresses());
        listeners.stream().map(InetSocketAddress::getAddress).filter(a -> !a.isAnyLocalAddress()).forEach(addresses::add);
        TlsCertificate self = TlsCertificate.selfSigned(tlsDir, TlsCertificate.hostNames(), addresses, Clock.systemUTC());
        log.info("TLS with the self-signed certificate {} (SHA-256 {}); clients may trust {}", tlsDir.resolve(TlsCertificate.KEY_FILE),
                self.fingerprint(), tlsDir.resolve(TlsCertificate.CERT_FILE));
        return self;
    }

    private static String where(List<InetSocketAddress> listeners) {
        return listeners.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(java.util.stream.Collectors.joining(", "));
    }

    private static String url(ApiServer server, InetSocketAddress listener) {
        return (server.secure() ? "https://" : "http://") + listener.getHostString() + ":" + server.address().getPort();
    }

    private static List<AddressRange> ranges(String option, List<String> cidrs) {
        try {
            return cidrs.stream().map(AddressRange::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    private static long bytes(String option, String size) {
        try {
            return MemorySize.parseMib(size) * 1024 * 1024;
        } catch (HangarException e) {
            throw new IllegalArgumentException(option + " must be an IEC size like 2gib, not " + size);
        }
    }

    /** --audit-max-bytes: a whole number of KiB, MiB or GiB, at least 64 KiB (a file holds some hundreds of lines). */
    static long auditBytes(String size) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(kib|mib|gib)").matcher(size.strip().toLowerCase(java.util.Locale.ROOT));
        long bytes = m.matches() ? Long.parseLong(m.group(1)) << switch (m.group(2)) { case "kib" -> 10; case "mib" -> 20; default -> 30; } : 0;
        if (bytes < 64 << 10) throw new IllegalArgumentException("--audit-max-bytes must be a size like 10mib of at least 64kib, not " + size);
        return bytes;
    }

    private static long maxImageBytes(String size) {
        try {
            return MemorySize.parseMib(size) * 1024 * 1024;
        } catch (HangarException e) {
            throw new IllegalArgumentException("--max-image-size must be an IEC size like 64gib, not " + size);
        }
    }

    static InetSocketAddress parseListen(String listen) throws UnknownHostException {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("--listen must be HOST:PORT, not " + listen);
        String host = listen.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(InetAddress.getByName(host.isEmpty() ? "0.0.0.0" : host),
                Integer.parseInt(listen.substring(colon + 1)));
    }

    /**
     * This service's mark on what it makes where other services make things too (taps, libvirt's
     * domains): a hash of its data directory, so it stays the same across restarts.
     */
    static String instanceId(Path data) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path defaultDataDir() {
        if ("root".equals(System.getProperty("user.name"))) return Path.of("/var/lib/hangar");
        String xdg = System.getenv("XDG_DATA_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share")).resolve("hangar");
    }
}
