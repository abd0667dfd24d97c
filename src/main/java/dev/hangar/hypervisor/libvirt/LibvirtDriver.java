package dev.hangar.hypervisor.libvirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.vms.GuestInfo;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.core.vms.MachineState;
import dev.hangar.hypervisor.GuestAgentReplies;
import dev.hangar.hypervisor.MachineFiles;
import dev.hangar.hypervisor.Qcow2Backing;
import dev.hangar.hypervisor.SocketConsoles;
import dev.hangar.hypervisor.qemu.Accelerator;
import dev.hangar.process.QemuUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Machines as libvirt domains, through the libvirt Java binding. Each is defined (persistent, so
 * {@code virsh list --all} shows it powered off too) from the XML of {@link DomainXml} and found again
 * by its UUID, the VM's id. Hangar keeps managing its networks itself: domains open the taps it made.
 * State changes arrive as libvirt's lifecycle events; the serial console is logged by virtlogd to the
 * VM's directory. Domains Hangar did not make (no mark of this service in their metadata) are never
 * touched.
 */
public final class LibvirtDriver implements SocketConsoles, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LibvirtDriver.class);
    private static final int UNDEFINE_NVRAM = 4; // VIR_DOMAIN_UNDEFINE_NVRAM
    private static final int METADATA_ELEMENT = 2; // VIR_DOMAIN_METADATA_ELEMENT
    /** The VNC graphics of a live domain's XML, and the socket path in it (an attribute of graphics or of its listen). */
    private static final Pattern VNC_GRAPHICS = Pattern.compile("<graphics[^>]*type=['\"]vnc['\"](?:[^>]*/>|[\\s\\S]*?</graphics>)");
    private static final Pattern SOCKET = Pattern.compile("socket=['\"]([^'\"]+)['\"]");
    private static final Pattern MARK = Pattern.compile("id=['\"]([^'\"]+)['\"][^>]*owner=['\"]([^'\"]+)['\"]|owner=['\"]([^'\"]+)['\"][^>]*id=['\"]([^'\"]+)['\"]");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.libvirt.ErrorCallback SILENT_ERRORS = new org.libvirt.ErrorCallback();

    /** The connection; replaced when libvirtd went away (a restart of it), by {@link #conn()}. */
    private volatile Connect conn;
    private volatile Consumer<String> stateListener;
    /** Callbacks native code holds: JNA crashes the JVM when one it calls was collected, so they are kept here. */
    private final List<Object> callbacks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final String uri;
    private final Accelerator accelerator;
    private final String owner;
    /** A user of its own per domain, on the local system libvirtd with a root service (see {@link DomainXml}). */
    private final Optional<QemuUsers> users;

    private LibvirtDriver(Connect conn, String uri, Accelerator accelerator, String owner) {
        this.conn = watched(conn);
        this.uri = uri;
        this.accelerator = accelerator;
        this.owner = owner;
        this.users = uri.startsWith("qemu:///system") ? QemuUsers.onThisHost() : Optional.empty();
    }

    /**
     * Connects to libvirt at uri and runs its event loop. A libvirt that is missing, not running or
     * refuses the connection is an IOException that names the URI.
     */
    public static LibvirtDriver connect(String uri, Accelerator accelerator, String owner) throws IOException {
        try {
            Library.initEventLoop();
            // Failures come back as exceptions; without this libvirt also prints each one on stderr
            // (a guest without an agent would fill the log). The callback is held in a static field:
            // native code calls it, and JNA crashes the JVM if it was collected.
            Connect.setErrorCallback(SILENT_ERRORS);
            Connect conn = new Connect(uri);
            Thread.ofPlatform().daemon().name("libvirt-events").start(() -> {
                try {
                    Library.runEventLoop();
                } catch (LibvirtException | InterruptedException e) {
                    log.warn("libvirt's event loop ended: {}", e.getMessage());
                }
            });
            log.info("connected to libvirt {} at {}", conn.getLibVersion(), uri);
            return new LibvirtDriver(conn, uri, accelerator, owner);
        } catch (LibvirtException e) {
            throw new IOException("cannot connect to libvirt at " + uri + ": " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new IOException("cannot connect to libvirt at " + uri + ": the libvirt client library is missing ("
                    + e.getMessage() + "; Debian package libvirt0)", e);
        }
    }

    /** libvirtd must answer: a call on the connection (reconnecting when it was closed) must succeed. */
    @Override
    public String unusable() {
        try {
            conn().getLibVersion();
            return null;
        } catch (LibvirtException e) {
            return "libvirt at " + uri + " does not answer: " + e.getMessage();
        }
    }

    /**
     * The live connection: after libvirtd restarted, a new one (its domains run on: QEMU does not stop
     * with libvirtd), with the lifecycle listener registered again.
     */
    private synchronized Connect conn() throws LibvirtException {
        Connect c = conn;
        boolean alive;
        try {
            alive = c != null && c.isAlive();
        } catch (LibvirtException e) {
            alive = false;
        }
        if (alive) return c;
        // The dead connection is not closed: another thread may still be inside a call on it.
        conn = watched(new Connect(uri));
        log.info("reconnected to libvirt at {}", uri);
        if (stateListener != null) listen(conn, stateListener);
        return conn;
    }

    /** Marks the connection dead as soon as libvirt closes it, so the next call reconnects. */
    private Connect watched(Connect c) {
        try {
            org.libvirt.event.ConnectionCloseListener onClose = (closed, reason) -> {
                log.warn("libvirt at {} closed the connection ({}); reconnecting on the next call", uri, reason);
                synchronized (this) {
                    if (conn == closed) conn = null;
                }
            };
            callbacks.add(onClose);
            c.registerCloseListener(onClose);
        } catch (LibvirtException e) {
            log.debug("no close events from libvirt: {}", e.getMessage());
        }
        return c;
    }

    @Override
    public void start(MachineSpec spec) throws IOException {
        Files.createDirectories(spec.dir());
        if (spec.firmware() == Firmware.EFI) MachineFiles.ensureUefiVariables(spec.dir());
        Optional<QemuUsers.Ids> ids = users.isPresent() ? Optional.of(inLibvirtsGroup(users.get().forMachine(spec.dir()))) : Optional.empty();
        if (ids.isPresent()) spec = ownKernel(spec);
        closeToOthers(spec);
        String xml = DomainXml.build(spec, accelerator, owner, ids, Qcow2Backing::of);
        Files.writeString(spec.dir().resolve("domain.xml"), xml);
        try {
            Domain domain = conn().domainDefineXML(xml);
            domain.create();
            log.info("domain {} started on {}", DomainXml.name(spec), uri);
        } catch (LibvirtException e) {
            throw new IOException("libvirt did not start " + DomainXml.name(spec) + ": " + e.getMessage(), e);
        }
    }

    /** Where libvirt keeps each domain's private files (its master key among them), which its QEMU must walk. */
    private static final Path LIBVIRT_QEMU_STATE = Path.of("/var/lib/libvirt/qemu");

    /**
     * The domain's uid of its own, in the group of libvirt's QEMU state directory (qemu.conf's group,
     * libvirt-qemu on Debian): that directory is 0750, and the domain's QEMU must read its private files
     * there. Each file a domain owns is 0600, so sharing that group shares nothing else.
     */
    private static QemuUsers.Ids inLibvirtsGroup(QemuUsers.Ids ids) {
        try {
            return new QemuUsers.Ids(ids.uid(), (Integer) Files.getAttribute(LIBVIRT_QEMU_STATE, "unix:gid"));
        } catch (IOException | RuntimeException e) {
            return ids; // no state directory to walk (another layout): the QEMUs' own group
        }
    }

    /**
     * The kernel and initrd as files of the domain's own: libvirt gives a domain's kernel to its user while
     * it runs, and a gold's or an installer's is shared by every VM booted from it. Copied at each start
     * (a host boots its installer's, then its own disk): a few MiB.
     */
    private static MachineSpec ownKernel(MachineSpec spec) throws IOException {
        if (spec.kernel() == null) return spec;
        Path kernel = spec.dir().resolve("boot-kernel");
        Files.copy(spec.kernel(), kernel, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path initrd = null;
        if (spec.initrd() != null) {
            initrd = spec.dir().resolve("boot-initrd");
            Files.copy(spec.initrd(), initrd, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return spec.withKernel(kernel, initrd);
    }

    /**
     * The domain's directory may be walked (libvirt's QEMU user opens its files by name) but not listed,
     * and its files (clones, blank disks, the seed with its user-data, UEFI variables) are owner-only:
     * libvirt's dynamic ownership (qemu.conf's default) gives them to its QEMU user while the domain runs.
     * Without this any local user could read the seed, whose path every {@code ps} shows.
     */
    private static void closeToOthers(MachineSpec spec) throws IOException {
        Path dir = spec.dir().toAbsolutePath();
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        List<Path> files = new ArrayList<>();
        for (MachineSpec.Disk disk : spec.disks()) files.add(disk.file().toAbsolutePath());
        files.add(dir.resolve(MachineFiles.VARS_FILE));
        if (spec.kernel() != null) files.add(spec.kernel().toAbsolutePath());
        if (spec.initrd() != null) files.add(spec.initrd().toAbsolutePath());
        for (Path f : files) {
            if (dir.equals(f.getParent()) && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    @Override
    public MachineState state(Path dir) {
        try {
            Domain domain = lookup(dir);
            if (domain == null) return MachineState.STOPPED;
            DomainState state = domain.getInfo().state;
            return switch (state) {
                case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> MachineState.RUNNING;
                case VIR_DOMAIN_PAUSED -> MachineState.PAUSED;
                case VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_CRASHED -> MachineState.STOPPED;
                default -> state.name().equals("VIR_DOMAIN_PMSUSPENDED") ? MachineState.PAUSED : MachineState.UNKNOWN;
            };
        } catch (LibvirtException e) {
            return MachineState.UNKNOWN; // libvirtd away (a restart): the record keeps its status meanwhile
        }
    }

    @Override
    public void pause(Path dir) throws IOException {
        try {
            Domain domain = lookup(dir);
            if (domain == null) throw new IOException("no domain for " + dir.getFileName());
            domain.suspend();
        } catch (LibvirtException e) {
            throw new IOException("libvirt could not suspend " + dir.getFileName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void resume(Path dir) throws IOException {
        try {
            Domain domain = lookup(dir);
            if (domain == null) throw new IOException("no domain for " + dir.getFileName());
            domain.resume();
        } catch (LibvirtException e) {
            throw new IOException("libvirt could not resume " + dir.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** ACPI shutdown with the grace, then destroy; then the domain is undefined (with its NVRAM). */
    @Override
    public void stop(Path dir, Duration grace) {
        try {
            Domain domain = lookup(dir);
            if (domain == null) return;
            if (domain.isActive() == 1 && !grace.isZero()) {
                domain.shutdown();
                Instant until = Instant.now().plus(grace);
                while (domain.isActive() == 1 && Instant.now().isBefore(until)) Thread.sleep(100);
            }
            if (domain.isActive() == 1) domain.destroy();
            undefine(domain);
        } catch (LibvirtException e) {
            throw new IllegalStateException("libvirt could not stop " + dir.getFileName() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void undefine(Domain domain) throws LibvirtException {
        try {
            domain.undefine(UNDEFINE_NVRAM);
        } catch (LibvirtException e) {
            domain.undefine(); // an older libvirt, or no NVRAM
        }
    }

    @Override
    public Optional<GuestInfo> guestInfo(Path dir) {
        try {
            Domain domain = lookup(dir);
            if (domain == null) return Optional.empty();
            JsonNode nics = agent(domain, "guest-network-get-interfaces");
            String os;
            try {
                os = GuestAgentReplies.osName(agent(domain, "guest-get-osinfo"));
            } catch (LibvirtException | IOException e) {
                os = "";
            }
            return Optional.of(new GuestInfo(GuestAgentReplies.firstIpv4(nics), os));
        } catch (LibvirtException | IOException e) {
            return Optional.empty(); // no agent in this guest, or not up yet
        }
    }

    private static JsonNode agent(Domain domain, String command) throws LibvirtException, IOException {
        String reply = domain.qemuAgentCommand("{\"execute\": \"" + command + "\"}", 1, 0);
        return JSON.readTree(reply).path("return");
    }

    @Override
    public Optional<String> vncAddress(Path dir) {
        try {
            Domain domain = lookup(dir);
            if (domain == null) return Optional.empty();
            Matcher graphics = VNC_GRAPHICS.matcher(domain.getXMLDesc(0));
            if (!graphics.find()) return Optional.empty();
            Matcher socket = SOCKET.matcher(graphics.group());
            return socket.find() ? Optional.of("unix:" + socket.group(1)) : Optional.empty();
        } catch (LibvirtException e) {
            return Optional.empty();
        }
    }

    /** virtlogd rotates the console log itself. */
    @Override
    public void housekeep(Path dir) {}

    @Override
    public void removeLeftovers(Set<String> knownIds) {
        for (Domain domain : allDomains()) {
            try {
                String[] mark = mark(domain);
                if (mark == null || !owner.equals(mark[1]) || knownIds.contains(mark[0])) continue;
                log.info("removing leftover domain {} (no record)", domain.getName());
                if (domain.isActive() == 1) domain.destroy();
                undefine(domain);
            } catch (LibvirtException e) {
                log.warn("cannot remove a leftover domain: {}", e.getMessage());
            }
        }
    }

    @Override
    public void onStateChange(Consumer<String> changed) {
        stateListener = changed;
        try {
            listen(conn(), changed);
        } catch (LibvirtException e) {
            log.warn("no lifecycle events from libvirt ({}); polling only", e.getMessage());
        }
    }

    private void listen(Connect c, Consumer<String> changed) {
        try {
            org.libvirt.event.LifecycleListener onEvent = (domain, event) -> {
                try {
                    changed.accept(domain.getUUIDString());
                } catch (LibvirtException e) {
                    log.debug("lifecycle event of an unknown domain: {}", e.getMessage());
                }
                return 0;
            };
            callbacks.add(onEvent);
            c.addLifecycleListener(onEvent);
        } catch (LibvirtException e) {
            log.warn("no lifecycle events from libvirt ({}); polling only", e.getMessage());
        }
    }

    /** Hangar's mark on a domain: {vm id, owner}, or null for a domain Hangar did not make. */
    private static String[] mark(Domain domain) {
        try {
            Matcher m = MARK.matcher(domain.getMetadata(METADATA_ELEMENT, DomainXml.NAMESPACE, 0));
            if (!m.find()) return null;
            return m.group(1) != null ? new String[] {m.group(1), m.group(2)} : new String[] {m.group(4), m.group(3)};
        } catch (LibvirtException e) {
            return null; // no metadata of ours
        }
    }

    private List<Domain> allDomains() {
        List<Domain> out = new ArrayList<>();
        try {
            Connect c = conn();
            for (int id : c.listDomains()) out.add(c.domainLookupByID(id));
            for (String name : c.listDefinedDomains()) out.add(c.domainLookupByName(name));
        } catch (LibvirtException e) {
            log.warn("cannot list libvirt's domains: {}", e.getMessage());
        }
        return out;
    }

    /** The domain of the VM whose directory this is (named after its id), or null when libvirt has none. */
    private Domain lookup(Path dir) throws LibvirtException {
        String id = dir.getFileName().toString();
        try {
            java.util.UUID.fromString(id);
        } catch (IllegalArgumentException notAVmDirectory) {
            return null; // not named after a VM: no domain of ours
        }
        try {
            return conn().domainLookupByUUIDString(id);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == org.libvirt.Error.ErrorNumber.VIR_ERR_NO_DOMAIN) return null;
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            Connect c = conn;
            if (c != null) c.close();
        } catch (LibvirtException e) {
            log.debug("closing libvirt: {}", e.getMessage());
        }
    }
}
