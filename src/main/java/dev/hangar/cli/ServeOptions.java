package dev.hangar.cli;

import dev.hangar.api.imagefactory.ImageFactoryFace;
import dev.hangar.app.Settings;
import dev.hangar.app.StartupException;
import dev.hangar.core.HangarException;
import dev.hangar.core.MemorySize;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.Subnet;
import dev.hangar.hypervisor.qemu.Accelerator;
import dev.hangar.network.NetworkSettings;
import dev.hangar.outbound.AddressRange;
import dev.hangar.outbound.OutboundPolicy;
import dev.hangar.outbound.OutboundTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code hangar serve}'s options, and the config file that gives what the command line does not. The
 * first of serve's two phases: {@link #settings()} merges the file, checks every option before anything
 * is opened or made, and returns the {@link Settings} Hangar is built from, or a {@link StartupException}
 * naming what is wrong.
 */
final class ServeOptions {
    private static final Logger log = LoggerFactory.getLogger(ServeOptions.class);

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

    @Option(names = "--template-bridge", defaultValue = NetworkSettings.DEFAULT_TEMPLATE_BRIDGE,
            description = "Bridge of the isolated network warm templates boot on (default: ${DEFAULT-VALUE}).")
    String templateBridge;

    @Option(names = "--template-subnet", defaultValue = NetworkSettings.DEFAULT_TEMPLATE_SUBNET,
            description = "Subnet of the templates' bridge (default: ${DEFAULT-VALUE}).")
    String templateSubnet;

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

    /** The command these options are mixed into: the config file's keys are its options' names. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** consumer key → secret, from the config file's "clients". */
    private Map<String, String> clients = Map.of();
    /** The clients whose signed non-form bodies must carry oauth_body_hash ("require_body_hash"). */
    private Set<String> bodyHashRequired = Set.of();

    /** The config file merged, every option checked: the settings, or why there are none. */
    Settings settings() throws StartupException {
        try {
            applyConfigFile();
        } catch (IllegalArgumentException e) {
            throw new StartupException("--config: " + e.getMessage(), e);
        }
        try {
            return validate();
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw new StartupException(e.getMessage(), e);
        }
    }

    private Settings validate() throws UnknownHostException {
        InetSocketAddress address = parseListen(listen);
        InetSocketAddress hostsAddress = hostsListen != null ? parseListen(hostsListen) : null;
        InetSocketAddress factoryAddress = imagefactoryListen != null ? parseListen(imagefactoryListen) : null;
        if (port != null) {
            if (imagefactoryListen != null) throw new IllegalArgumentException("give --port or --imagefactory-listen, not both");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be a port number, not " + port);
            factoryAddress = new InetSocketAddress(address.getAddress(), port);
        }
        atLeast(1, oauthWindow, "--oauth-window must be at least 1 second");
        atLeast(0, callbackRetentionDays, "--callback-retention-days must be 0 or more");
        atLeast(1, maxVms, "--max-vms must be at least 1");
        atLeast(1, maxConcurrentCreates, "--max-concurrent-creates must be at least 1");
        atLeast(1, requestTimeout, "--request-timeout must be at least 1 second");
        atLeast(1, idleTimeout, "--idle-timeout must be at least 1 second");
        if (sslPem != null && noSsl) throw new IllegalArgumentException("--ssl_pem and --no_ssl contradict each other");
        if (sslPem != null && !Files.isReadable(sslPem)) throw new IllegalArgumentException("--ssl_pem: cannot read " + sslPem);
        atLeast(1, maxBuilds, "--max-builds must be at least 1");
        long buildMinFreeBytes = bytes("--build-min-free", buildMinFree, "2gib");
        if (aptProxy != null && !aptProxy.matches("(?i)https?://\\S+")) throw new IllegalArgumentException("--apt-proxy must be an http URL, not " + aptProxy);
        atLeast(1, downloadStallTimeout, "--download-stall-timeout must be at least 1 second");
        atLeast(1, groupResync, "--group-resync must be at least 1 second");
        long maxImageBytes = bytes("--max-image-size", maxImageSize, "64gib");
        OptionalLong imageCacheLimit = imageCacheSize != null ? OptionalLong.of(bytes("--image-cache-size", imageCacheSize, "100gib")) : OptionalLong.empty();
        long auditMaxBytes = auditBytes(auditMaxSize);
        OutboundPolicy outbound = new OutboundPolicy(ranges("--outbound-allow", outboundAllow), ranges("--outbound-deny", outboundDeny),
                ImageFactoryFace.PUBLISHED);
        for (InetSocketAddress listener : java.util.Arrays.asList(address, hostsAddress, factoryAddress)) {
            if (listener != null) outbound.protectListener(listener.getPort()); // port 0: added once it is bound
        }
        var caCertificates = OutboundTls.bundle(caBundle); // read now: a bad bundle is an option's error
        if (!networkMode.equals("user") && !networkMode.equals("bridge")) {
            throw new IllegalArgumentException("--network-mode must be bridge or user, not " + networkMode);
        }
        for (String network : allowHostAccess) {
            if (!network.equals("nat") && !network.equals("hostonly") && !network.equals(NetworkSettings.USER_MODE)) {
                throw new IllegalArgumentException("--allow-host-access must name nat, hostonly or user, not " + network);
            }
        }
        NetworkSettings net = new NetworkSettings(networkMode.equals("user"), natBridge, Subnet.parse(natSubnet),
                hostonlyBridge, Subnet.parse(hostonlySubnet), bridgedInterface, bridges, Set.copyOf(allowHostAccess),
                Network.checkedBridge(templateBridge), Subnet.parse(templateSubnet));
        Accelerator accelerator = Accelerator.choose(accel);
        if (!driverName.equals("qemu") && !driverName.equals("libvirt")) {
            throw new IllegalArgumentException("--driver must be qemu or libvirt, not " + driverName);
        }
        if (vmLib != null && !Files.isDirectory(vmLib)) {
            throw new IllegalArgumentException("--vm-lib must be a directory of VM folders, and " + vmLib + " is not one");
        }
        for (String name : openReads) {
            if (!List.of("main", "hosts", "imagefactory").contains(name)) {
                throw new IllegalArgumentException("--open-reads: \"" + name + "\" is no listener (main, hosts or imagefactory)");
            }
        }
        Settings.Listeners listeners = new Settings.Listeners(address, hostsAddress, factoryAddress, hostnames, noSsl, sslPem,
                Duration.ofSeconds(requestTimeout), Duration.ofSeconds(idleTimeout));
        Settings.Access access = new Settings.Access(clients, bodyHashRequired, noOauth, Duration.ofSeconds(oauthWindow),
                Set.copyOf(openReads), imagefactoryOpenReads);
        String refusal = access.exposureRefusal(listeners.exposed());
        if (refusal != null) throw new IllegalArgumentException(refusal);
        Path data = (dataDir != null ? dataDir : defaultDataDir()).toAbsolutePath();
        Path socket = (infrakitSocket != null ? infrakitSocket : data.resolve("infrakit").resolve("hangar.sock")).toAbsolutePath();
        return new Settings(listeners, access, data,
                new Settings.Machines(driverName, libvirtUri, qemu, accelerator, net),
                new Settings.Images(maxImageBytes, imageCacheLimit, Duration.ofSeconds(downloadStallTimeout), vmLib),
                new Settings.Vms(Duration.ofSeconds(toolsInitTimeout), Duration.ofSeconds(deleteGrace), maxVms, maxConcurrentCreates,
                        Duration.ofSeconds(groupResync)),
                new Settings.Callbacks(callbackSecret, Duration.ofSeconds(callbackRetryFor), Duration.ofDays(callbackRetentionDays)),
                new Settings.Factory(maxBuilds, buildMinFreeBytes, aptProxy == null ? null : URI.create(aptProxy), exportDir),
                outbound, caCertificates, new Settings.Infrakit(socket, infrakitSocket != null, infrakitKeepFailed), auditMaxBytes);
    }

    private static void atLeast(long least, long value, String message) {
        if (value < least) throw new IllegalArgumentException(message);
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

    private static List<AddressRange> ranges(String option, List<String> cidrs) {
        try {
            return cidrs.stream().map(AddressRange::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    /** A size option in whole MiB or more (2gib, 512mib), in bytes; the example is the option's own default. */
    private static long bytes(String option, String size, String example) {
        try {
            return MemorySize.parseMib(size) * 1024 * 1024;
        } catch (HangarException e) {
            throw new IllegalArgumentException(option + " must be an IEC size like " + example + ", not " + size);
        }
    }

    /** --audit-max-bytes: a whole number of KiB, MiB or GiB, at least 64 KiB (a file holds some hundreds of lines). */
    static long auditBytes(String size) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(kib|mib|gib)").matcher(size.strip().toLowerCase(java.util.Locale.ROOT));
        long bytes = m.matches() ? Long.parseLong(m.group(1)) << switch (m.group(2)) { case "kib" -> 10; case "mib" -> 20; default -> 30; } : 0;
        if (bytes < 64 << 10) throw new IllegalArgumentException("--audit-max-bytes must be a size like 10mib of at least 64kib, not " + size);
        return bytes;
    }

    static InetSocketAddress parseListen(String listen) throws UnknownHostException {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("--listen must be HOST:PORT, not " + listen);
        String host = listen.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(InetAddress.getByName(host.isEmpty() ? "0.0.0.0" : host),
                Integer.parseInt(listen.substring(colon + 1)));
    }

    static Path defaultDataDir() {
        if ("root".equals(System.getProperty("user.name"))) return Path.of("/var/lib/hangar");
        String xdg = System.getenv("XDG_DATA_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share")).resolve("hangar");
    }
}
