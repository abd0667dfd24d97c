package dev.hangar.app;

import dev.hangar.api.ApiServer;
import dev.hangar.api.SocketFile;
import dev.hangar.api.events.EventsFace;
import dev.hangar.api.groups.GroupsFace;
import dev.hangar.api.hosts.HostsFace;
import dev.hangar.api.imagefactory.BuildCallbacks;
import dev.hangar.api.imagefactory.ImageFactoryFace;
import dev.hangar.api.images.ImagesFace;
import dev.hangar.api.imagefactory.Tdl;
import dev.hangar.api.infrakit.InfrakitFace;
import dev.hangar.api.operations.OperationsFace;
import dev.hangar.api.ops.HealthFace;
import dev.hangar.api.ops.MetricsFace;
import dev.hangar.api.ops.RequestMetrics;
import dev.hangar.api.ui.UiFace;
import dev.hangar.api.vms.VmCallbacks;
import dev.hangar.api.vms.VmsFace;
import dev.hangar.builds.HttpTemplateFetcher;
import dev.hangar.builds.MockOsBuilder;
import dev.hangar.builds.debian.DebianImageBuilder;
import dev.hangar.builds.providers.DirectoryProvider;
import dev.hangar.builds.providers.HangarProvider;
import dev.hangar.builds.providers.OciProvider;
import dev.hangar.builds.providers.ProviderPublishers;
import dev.hangar.builds.targets.TargetWriter;
import dev.hangar.callbacks.CallbackDispatcher;
import dev.hangar.core.builds.ImageFactory;
import dev.hangar.core.groups.GroupService;
import dev.hangar.core.groups.PluginInstances;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.vms.ImageCache;
import dev.hangar.core.vms.MachineDriver;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmLimits;
import dev.hangar.core.vms.VmService;
import dev.hangar.core.vms.VmSettings;
import dev.hangar.core.vms.VmsOnNetwork;
import dev.hangar.hypervisor.libvirt.LibvirtDriver;
import dev.hangar.hypervisor.qemu.QemuDriver;
import dev.hangar.images.GoldImageStore;
import dev.hangar.images.InstallerStore;
import dev.hangar.images.VmDiskFiles;
import dev.hangar.images.WarmTemplateFiles;
import dev.hangar.metrics.HangarMetrics;
import dev.hangar.network.LinuxNetworks;
import dev.hangar.outbound.OutboundHttpClient;
import dev.hangar.outbound.OutboundTls;
import dev.hangar.process.QemuUsers;
import dev.hangar.security.AuditLog;
import dev.hangar.security.FailureLimiter;
import dev.hangar.security.OAuth1Signer;
import dev.hangar.security.OAuth1Verifier;
import dev.hangar.security.OAuthGuard;
import dev.hangar.security.TlsCertificate;
import dev.hangar.security.UiSessions;
import dev.hangar.store.CallbackOutbox;
import dev.hangar.store.DataDirectory;
import dev.hangar.store.Database;
import dev.hangar.store.FactoryImageRepository;
import dev.hangar.store.GroupRepository;
import dev.hangar.store.NetworkRepository;
import dev.hangar.store.OperationRepository;
import dev.hangar.store.TemplateRepository;
import dev.hangar.store.VmRepository;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every adapter and the core from {@link Settings} with one {@link Clock},
 * starts them in order, and closes them in the reverse order of need. The only class that knows every
 * layer; {@code hangar serve} starts one, and tests may build the same.
 *
 * <p>Start-up: the TLS certificate (if a listener needs one), the plugin socket's path, the data
 * directory's modes, the machine driver, the database, then the adapters, the core services, the faces
 * and the listeners. Anything that fails before the core starts is a {@link StartupException}.
 * VMs keep running when it closes: they are not the service's children, and the next start adopts them.
 */
public final class Hangar implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hangar.class);
    /** Failed signatures one source address may send in a minute before it must wait. */
    static final int SIGNATURE_FAILURES_PER_MINUTE = 30;

    /** What to close, first to last. */
    private final List<AutoCloseable> closing;
    private final ApiServer api;

    private Hangar(List<AutoCloseable> closing, ApiServer api) {
        this.closing = closing;
        this.api = api;
    }

    /** The main listener's bound address (its port, when 0 was asked for). */
    public InetSocketAddress address() {
        return api.address();
    }

    public static Hangar start(Settings s, Clock clock) throws StartupException, IOException {
        long started = System.nanoTime();
        Settings.Listeners listen = s.listeners();
        Settings.Access access = s.access();
        if (access.noOauth()) log.warn("--no_oauth: OAuth is off on every listener; whoever reaches one may change anything");
        if (listen.noSsl() && !listen.exposed().isEmpty()) {
            log.warn("--no_ssl: plain HTTP on {}; anyone on the way reads and changes what is sent", Settings.Listeners.where(listen.exposed()));
        }
        Path data = s.dataDir();
        SSLContext tls = null;
        List<java.security.cert.X509Certificate> trusted = new ArrayList<>(s.caBundle());
        try {
            TlsCertificate certificate = tlsCertificate(listen, data.resolve("tls"), clock);
            if (certificate != null) {
                tls = certificate.serverContext();
                trusted.add(certificate.chain().getFirst());
            }
        } catch (IllegalArgumentException | IOException e) {
            throw new StartupException((listen.sslPem() != null ? "--ssl_pem: " : "TLS: ") + e.getMessage(), e);
        }
        Path socket = s.infrakit().socket();
        try {
            if (socket != null) SocketFile.check(socket);
        } catch (IllegalArgumentException e) {
            if (s.infrakit().given()) throw new StartupException("--infrakit-socket: " + e.getMessage(), e);
            // Only the default path is at fault: the rest of Hangar need not stop for a plugin nobody asked for.
            log.warn("no InfraKit plugin socket at the default {}: {}; give --infrakit-socket to serve one", socket, e.getMessage());
            socket = null;
        }
        try {
            // Under libvirt, QEMU runs as libvirt's own user, who is not in the QEMUs' group.
            DataDirectory.secure(data, s.machines().libvirt() ? Optional.empty() : QemuUsers.onThisHost().map(QemuUsers::gid));
        } catch (IOException e) {
            throw new StartupException("the data directory " + data + ": " + e.getMessage(), e);
        }
        String instance = instanceId(data);
        MachineDriver driver;
        try {
            driver = s.machines().libvirt() ? LibvirtDriver.connect(s.machines().libvirtUri(), s.machines().accelerator(), instance)
                    : new QemuDriver(s.machines().qemu(), s.machines().accelerator());
        } catch (IOException e) {
            throw new StartupException(e.getMessage(), e);
        }

        Database db = Database.open(data.resolve("hangar.db"));
        // Every request Hangar makes on a client's behalf goes through these two: checked against the outbound policy at every hop.
        SSLContext outboundTls = OutboundTls.trusting(trusted); // one, whatever the listeners: its anchors are read once
        OutboundHttpClient http = OutboundHttpClient.fetching(s.outbound(), outboundTls);
        HttpClient callbackHttp = OutboundHttpClient.delivering(s.outbound(), outboundTls);
        GoldImageStore images = new GoldImageStore(data.resolve("images"), s.images().maxBytes(), http, s.images().stallTimeout(),
                s.images().vmLib());
        InstallerStore installers = new InstallerStore(data.resolve("installers"), http, s.images().maxBytes(), s.images().stallTimeout());
        CallbackOutbox outbox = new CallbackOutbox(db);
        CallbackDispatcher dispatcher = new CallbackDispatcher(outbox, callbackHttp, s.callbacks().secret(), clock, s.callbacks().retention());
        VmRepository vmStore = new VmRepository(db);
        LinuxNetworks fabric = new LinuxNetworks(s.machines().network(), data.resolve("networks"), instance);
        NetworkService networks = new NetworkService(new NetworkRepository(db), fabric, new VmsOnNetwork(vmStore), clock);
        Operations operations = new Operations(new OperationRepository(db), clock);
        Settings.Vms v = s.vms();
        VmService vms = new VmService(
                new VmService.Ports(vmStore, images, new VmDiskFiles(), installers, driver, fabric,
                        new VmCallbacks(dispatcher, s.callbacks().retryFor()), s.outbound(), new WarmTemplateFiles(data.resolve("images"))),
                networks, operations,
                new VmSettings(data.resolve("vms"), VmSettings.DEFAULT_CPUS, VmSettings.DEFAULT_MEMORY_MIB, v.toolsInitTimeout(),
                        v.deleteGrace(), Duration.ofSeconds(2), new VmLimits(v.max(), v.maxConcurrentCreates())),
                clock);
        ImageCache imageCache = new ImageCache(images, vmStore, s.images().cacheLimit(), vms.admissions(), vms::pooledGolds);
        vms.watch(imageCache::noticed);
        GroupService groups = new GroupService(new TemplateRepository(db), new GroupRepository(db), vms, operations, clock, v.groupResync());

        UiSessions uiSessions = access.oauth() ? new UiSessions(access.clients(), clock, UiSessions.DEFAULT_LIFETIME, UiSessions.DEFAULT_CAPACITY) : null;
        Function<String, ApiServer.Guard> guardOf = guards(access, uiSessions, http, clock);
        AuditLog audit = new AuditLog(data.resolve("audit.log"), clock, s.auditMaxBytes()).start();
        HangarMetrics metrics = new HangarMetrics(() -> vmStore.all().stream().collect(Collectors.groupingBy(Vm::status, Collectors.counting())),
                outbox::pendingCount, clock);
        vms.watch(metrics::vmChanged);
        metrics.warmPools(vms::poolSpares, vms::poolResidentBytes);
        operations.watch(metrics::operationChanged);
        images.observe(new GoldImageStore.Observer() {
            @Override public void cacheHit() { metrics.imageCacheHit(); }
            @Override public void downloaded(long bytes) { metrics.imageDownloaded(bytes); }
        });
        dispatcher.onAttempt(metrics::callbackAttempt);
        EventsFace events = new EventsFace(clock);
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
        InetSocketAddress main = listen.main();
        String baseUrl = (listen.usesTls(main) ? "https://" : "http://")
                + (main.getAddress().isAnyLocalAddress() ? "127.0.0.1" : main.getHostString()) + ":" + main.getPort();
        HangarProvider published = new HangarProvider(data.resolve("published"), URI.create(baseUrl + ImageFactoryFace.PUBLISHED));
        Settings.Factory f = s.factory();
        ImageFactory factory = new ImageFactory(new ImageFactory.Ports(new FactoryImageRepository(db, Tdl::parse),
                List.of(new MockOsBuilder(), new DebianImageBuilder(f.aptProxy(), http)), new TargetWriter(),
                new ProviderPublishers(List.of(published, new DirectoryProvider(f.exportDir() != null ? f.exportDir() : data.resolve("exports")),
                        new OciProvider(http, s.outbound()))),
                new HttpTemplateFetcher(http, Tdl::parse), new BuildCallbacks(dispatcher, baseUrl, s.callbacks().retryFor()), s.outbound()),
                new ImageFactory.Settings(data.resolve("builds"), f.maxBuilds(), f.minFreeBytes()), operations, clock);
        Faces faces = new Faces(new VmsFace(vms), new GroupsFace(groups), new HostsFace(vms, networks), new OperationsFace(operations),
                new ImagesFace(imageCache, vms.warmStarts()), new MetricsFace(metrics::scrape), events, health, new ImageFactoryFace(factory, published::find),
                new UiFace(uiSessions));
        // Every listener alike: the same guard, audit log and timeouts; its requests counted under its name.
        Function<String, ApiServer> listener = name -> new ApiServer().hostnames(listen.hostnames()).guard(guardOf.apply(name)).recorder(audit)
                .recorder(new RequestMetrics(metrics.registry(), name)).timeouts(listen.requestTimeout(), listen.idleTimeout());
        ApiServer api = listener.apply("main");
        faces.registerMain(api);
        ApiServer hostsApi = listener.apply("hosts");
        faces.registerHosts(hostsApi);
        ApiServer factoryApi = listener.apply("imagefactory");
        faces.registerImageFactory(factoryApi);
        PluginInstances instances = new PluginInstances(vms, s.infrakit().keepFailed());
        InfrakitFace infrakit = new InfrakitFace(instances);

        vms.start();
        groups.start();
        factory.start();
        published.removeLeftovers();
        dispatcher.start();
        ApiServer plugin = null;
        if (socket != null) {
            try {
                plugin = infrakit.serve(socket);
            } catch (IOException e) {
                // Checked at the start; only another process taking the path since then gets here.
                throw new StartupException("--infrakit-socket: " + e.getMessage(), e);
            }
            log.info("the InfraKit instance plugin on {}", socket);
        }
        api.start(main, listen.usesTls(main) ? tls : null);
        s.outbound().protectListener(api.address().getPort());
        if (listen.hosts() != null) {
            hostsApi.start(listen.hosts(), listen.usesTls(listen.hosts()) ? tls : null);
            s.outbound().protectListener(hostsApi.address().getPort());
            log.info("the staging agent's API also on {}", url(hostsApi, listen.hosts()));
        }
        if (listen.imageFactory() != null) {
            factoryApi.start(listen.imageFactory(), listen.usesTls(listen.imageFactory()) ? tls : null);
            s.outbound().protectListener(factoryApi.address().getPort());
            log.info("Image Factory's API also on {}", url(factoryApi, listen.imageFactory()));
        }
        if (access.oauth()) {
            log.info("OAuth on every listener: {} client(s); writes and reads must be signed{}{}", access.clients().size(),
                    access.openReads().isEmpty() ? "" : ", but reads on " + String.join(", ", access.openReads()),
                    access.imageFactoryOpenReads() ? ", but Image Factory's reads" : "");
        } else {
            log.info("OAuth off: {}", access.noOauth() ? "--no_oauth" : "no clients configured");
        }
        log.info("hangar listening on {} (data in {}; ready in {} ms)", url(api, main), data, (System.nanoTime() - started) / 1_000_000);

        List<AutoCloseable> closing = new ArrayList<>(List.of(api::close, hostsApi::close, factoryApi::close, audit::close, factory::close));
        if (plugin != null) closing.add(plugin::close); // removes the socket file
        closing.addAll(List.of(instances::close, groups::close, imageCache::close, vms::close));
        if (driver instanceof AutoCloseable closeable) closing.add(closeable);
        closing.addAll(List.of(dispatcher::close, db::close));
        return new Hangar(closing, api);
    }

    /**
     * One verifier for every listener (one nonce cache), each listener's guard knowing which of its reads
     * are signed. The web console's logins stand for the same clients (with OAuth off it needs none);
     * Hangar itself, fetching an image it published, signs as a client of its own that exists only in
     * this process. Failed signatures are counted per source address over every listener: a guesser is
     * slowed, nobody else.
     */
    private static Function<String, ApiServer.Guard> guards(Settings.Access access, UiSessions sessions, OutboundHttpClient http, Clock clock) {
        if (!access.oauth()) return name -> exchange -> ApiServer.Admission.open();
        String selfKey = "hangar-self-" + java.util.HexFormat.of().formatHex(randomBytes(8));
        String selfSecret = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        Map<String, String> verified = new HashMap<>(access.clients());
        verified.put(selfKey, selfSecret);
        OAuth1Verifier verifier = new OAuth1Verifier(verified, access.bodyHashRequired(), clock, access.oauthWindow());
        OAuth1Signer self = new OAuth1Signer(selfKey, selfSecret);
        http.signCatalogRequests((method, uri) -> self.authorization(method, uri, null, new byte[0]));
        FailureLimiter signatureFailures = new FailureLimiter(SIGNATURE_FAILURES_PER_MINUTE, Duration.ofMinutes(1), clock);
        return name -> new OAuthGuard(verifier, segments -> access.signedRead(name, segments), sessions, signatureFailures);
    }

    /** Closes every part, first to last; one that fails to close does not keep the others open. */
    @Override
    public void close() {
        for (AutoCloseable c : closing) {
            try {
                c.close();
            } catch (Exception e) {
                log.debug("closing {}: {}", c.getClass().getSimpleName(), e.getMessage());
            }
        }
    }

    /**
     * The certificate every TLS listener presents, or null when none uses TLS: from --ssl_pem, else the
     * self-signed certificate in {@code tlsDir} (made now if there is none), naming this host and every
     * address listened on.
     */
    static TlsCertificate tlsCertificate(Settings.Listeners listen, Path tlsDir, Clock clock) throws IOException {
        if (listen.all().stream().noneMatch(listen::usesTls)) return null;
        if (listen.sslPem() != null) return TlsCertificate.readPem(listen.sslPem());
        List<InetAddress> addresses = new ArrayList<>(TlsCertificate.hostAddresses());
        listen.all().stream().map(InetSocketAddress::getAddress).filter(a -> !a.isAnyLocalAddress()).forEach(addresses::add);
        TlsCertificate self = TlsCertificate.selfSigned(tlsDir, TlsCertificate.hostNames(), addresses, clock);
        log.info("TLS with the self-signed certificate {} (SHA-256 {}); clients may trust {}", tlsDir.resolve(TlsCertificate.KEY_FILE),
                self.fingerprint(), tlsDir.resolve(TlsCertificate.CERT_FILE));
        return self;
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

    private static String url(ApiServer server, InetSocketAddress listener) {
        return (server.secure() ? "https://" : "http://") + listener.getHostString() + ":" + server.address().getPort();
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
