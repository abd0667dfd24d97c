package dev.hangar.endtoend;

import dev.hangar.testing.ImageServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.hypervisor.qemu.QmpClient;
import dev.hangar.process.Command;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OS X Builder API end to end: the real service process, real QEMU guests, a real bridge with
 * dnsmasq, images served over HTTP. Runs only inside the network namespace that src/test/netns/bin/java
 * makes for it (HANGAR_TEST_NETNS), so nothing touches the host's network.
 */
@ParameterizedClass(name = "driver {0}")
@ValueSource(strings = {"qemu", "libvirt"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class VmsEndToEndTest {
    private static final String SECRET = "e2e-secret";
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path data;
    static ImageServer images;
    static CallbackReceiver callbacks;
    static HangarProcess hangar;

    /** The machine driver this run of the suite uses: qemu or libvirt. */
    @Parameter
    String driver;

    @BeforeParameterizedClassInvocation
    static void start(String driver) throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null,
                "end-to-end tests make bridges: run them through ./test, which gives them a network namespace");
        Machines.prepare(driver);
        Machines.openToQemu(data);
        images = new ImageServer();
        callbacks = new CallbackReceiver();
        // The VM library starts empty: the test of library VMs fills it (the service reads it at each use).
        Path library = Files.createDirectories(library(driver));
        List<String> args = new ArrayList<>(List.of("--delete-grace", "3", "--max-image-size", "200mib",
                "--callback-secret", SECRET, "--tools-init-timeout", "60", "--vm-lib", library.toString()));
        args.addAll(Machines.serviceArgs(driver));
        hangar = new HangarProcess(data.resolve("hangar-" + driver), args.toArray(String[]::new)).start();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (hangar != null) {
            for (JsonNode vm : get("/vms").body) delete(vm.get("id").textValue());
            System.out.println("---- service log ----\n" + hangar.log());
            hangar.close();
            Processes.endDaemons(hangar.dataDir()); // its bridges' dnsmasqs: the next run's service makes its own
        }
        if (images != null) images.close();
        if (callbacks != null) callbacks.close();
    }

    // ---- the VMware box: the "done means" -------------------------------------------------

    @Test
    @Order(1)
    void aVmwareBoxBootsAnswersCallsBackAndIsDeletedCleanly() throws Exception {
        Path box = TestImages.vmwareBox();
        String url = images.serve("/boxes/hangar-test-vmware.tar.gz", box);
        ObjectNode body = Json.MAPPER.createObjectNode()
                .put("cpus", 1).put("memory", "256mib").put("network_type", "nat")
                .put("launch_gui", false).put("callback_url", callbacks.url());
        body.putObject("image").put("url", url).put("checksum", TestImages.sha256(box)).put("checksum_type", "sha256");

        Response created = post("/vms", body);
        assertEquals(202, created.status, created.text);
        String id = created.body.get("id").textValue();
        assertEquals("/vms/" + id, created.location);
        assertEquals("creating", created.body.get("status").textValue());
        assertEquals("256mib", created.body.get("memory").textValue());
        assertEquals("", created.body.get("ip_address").textValue());

        JsonNode vm = awaitIp(id, Duration.ofSeconds(180));
        assertEquals("powered-on", vm.get("status").textValue());
        assertEquals("other26xlinux-64", vm.get("guest_os").textValue(), "guest_os comes from the .vmx");
        String ip = vm.get("ip_address").textValue();
        assertTrue(Guests.page(ip).startsWith("hangar-guest-ok"), "the guest answers from the host at " + ip);

        CallbackReceiver.Call call = callbacks.next(Duration.ofSeconds(30));
        assertEquals(id, call.body().get("id").textValue());
        assertEquals(ip, call.body().get("ip_address").textValue());
        assertEquals("sha256=" + hmac(call.rawBody()), call.signature());

        Path vmDir = hangar.dataDir().resolve("vms").resolve(id);
        long pid = Processes.qemuOf(id).orElseThrow();
        String mac = Processes.macOf(id);
        if (driver.equals("libvirt")) {
            assertTrue(Machines.list().contains("hangar-" + id), "virsh list shows the VM: " + Machines.list());
            String info = Machines.dominfo(id);
            assertTrue(info.matches("(?s).*State:\\s+running.*"), info);
            assertTrue(info.matches("(?s).*CPU\\(s\\):\\s+1\\n.*"), "1 cpu, as the API says: " + info);
            assertTrue(info.matches("(?s).*Max memory:\\s+262144 KiB.*"), "256 MiB, as the API says: " + info);
        }
        assertEquals(204, delete(id));
        assertFalse(Processes.running(pid), "QEMU is gone");
        assertFalse(Files.exists(vmDir), "the clone and the VM's files are gone");
        assertFalse(Files.exists(Path.of("/sys/class/net", Processes.tapOf(mac))), "the tap is gone");
        assertFalse(leases().contains(mac), "the lease is released");
        assertEquals(404, delete(id));
        assertEquals(404, get("/vms/" + id).status);
    }

    // ---- direct boot: cache, restarts, a dying QEMU ----------------------------------------------

    @Test
    @Order(2)
    void aCachedImageIsNotFetchedAgainAndAVmSurvivesAKilledService() throws Exception {
        Path image = TestImages.directBoot();
        String path = "/images/direct-boot.tar.gz";
        String url = images.serve(path, image);
        String sum = TestImages.sha256(image);

        String a = createOk(url, sum, "{\"headless\": true, \"memory\": 256}");
        JsonNode vmA = awaitIp(a, Duration.ofSeconds(120));
        assertEquals(256, vmA.get("memory").intValue(), "a document-001 client gets memory back as MiB");
        assertEquals("hangar-test-linux", vmA.get("guest_os").textValue(), "guest_os comes from the manifest");
        // The console, through the API: the guest prints its address a moment after dnsmasq leased it.
        String ready = "HANGAR-GUEST-READY " + vmA.get("ip_address").textValue();
        HttpResponse<String> console;
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            console = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms/" + a + "/console")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, console.statusCode());
        } while (!console.body().contains(ready) && System.nanoTime() < until && sleepy(200));
        assertTrue(console.body().contains(ready), console.body());
        assertEquals(1, vmA.get("cpus").intValue(), "cpus the request left out come from the manifest");
        assertEquals(1, images.hits(path));

        String b = createOk(url, sum, "{\"launch_gui\": true, \"network_type\": \"hostonly\"}");
        JsonNode vmB = awaitIp(b, Duration.ofSeconds(120));
        assertEquals(1, images.hits(path), "the second create fetched nothing");
        // Each QEMU runs as a uid of its own from Hangar's range, under either driver, and the gold both
        // clones share stays root's and read-only while they run (libvirt relabels what a domain uses).
        int uidA = (Integer) Files.getAttribute(Path.of("/proc/" + Processes.qemuOf(a).orElseThrow()), "unix:uid");
        int uidB = (Integer) Files.getAttribute(Path.of("/proc/" + Processes.qemuOf(b).orElseThrow()), "unix:uid");
        assertTrue(uidA >= dev.hangar.process.QemuUsers.FIRST_UID && uidB >= dev.hangar.process.QemuUsers.FIRST_UID && uidA != uidB,
                driver + ": QEMU uids " + uidA + ", " + uidB);
        try (var files = Files.walk(hangar.dataDir().resolve("images"))) {
            for (Path gold : files.filter(f -> f.getFileName().toString().endsWith(".qcow2")).toList()) {
                assertEquals(0, Files.getAttribute(gold, "unix:uid"), driver + ": the gold " + gold + " is root's while its clones run");
                assertEquals("r--r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(gold)), gold.toString());
            }
        }
        assertTrue(vmA.get("ip_address").textValue().startsWith("10.213.0."), "nat: " + vmA);
        assertTrue(vmB.get("ip_address").textValue().startsWith("10.214.0."), "hostonly is its own network: " + vmB);
        assertTrue(Guests.page(vmB.get("ip_address").textValue()).startsWith("hangar-guest-ok"));
        String vnc = vmB.get("vnc").textValue();
        assertTrue(vnc.startsWith("unix:/"), "VNC on a Unix socket, no TCP port: " + vnc);
        assertTrue(vncBanner(vnc).startsWith("RFB "), "a VNC server answers at " + vnc);
        assertTrue(screenBanner(b).startsWith("RFB 003.008"), "the web console's screen socket carries the VNC server's RFB");

        // DNS through the host, as under libvirt: the resolver DHCP gives is the bridge's dnsmasq, which
        // also knows the guests by the names they sent.
        String ipA = vmA.get("ip_address").textValue();
        Path dirA = hangar.dataDir().resolve("vms").resolve(a);
        String dns = Guests.shell(dirA, "cat /etc/resolv.conf; nslookup hangar-test", Duration.ofSeconds(30));
        assertTrue(dns.contains("nameserver 10.213.0.1"), dns);
        assertTrue(dns.contains(ipA), "the name resolves through the host: " + dns);
        // A host-only guest reaches the host but no further: no default route is offered, and with one
        // of its own the host forwards nothing out of the network.
        Path dirB = hangar.dataDir().resolve("vms").resolve(b);
        assertFalse(Guests.shell(dirB, "ip route", Duration.ofSeconds(30)).contains("default"), "no router offered");
        String out = Guests.shell(dirB, "ping -c 1 -W 2 10.214.0.1 | grep -c 'bytes from'; ip route add default via 10.214.0.1; "
                + Guests.httpGet(ipA) + "; echo nc-exit=$?", Duration.ofSeconds(30));
        assertTrue(out.strip().startsWith("1"), "the host answers: " + out);
        assertFalse(out.contains("hangar-guest-ok"), "the NAT guest is out of reach: " + out);
        assertTrue(out.contains("nc-exit=1"), out);
        assertEquals(204, delete(b));

        // A guest paused over QMP shows as suspended, and as powered-on again once it runs.
        Machines.pause(driver, dirA, true);
        awaitStatus(a, "suspended", Duration.ofSeconds(15));
        Machines.pause(driver, dirA, false);
        awaitStatus(a, "powered-on", Duration.ofSeconds(15));

        hangar.kill();
        hangar.start();
        JsonNode again = get("/vms/" + a).body;
        assertEquals("powered-on", again.get("status").textValue());
        assertEquals(vmA.get("ip_address"), again.get("ip_address"), "same VM, same address after a SIGKILL");
        assertTrue(Guests.page(again.get("ip_address").textValue()).startsWith("hangar-guest-ok"));

        // QEMU dies under the service: the VM is seen powered-off within a few seconds.
        Path vmDir = hangar.dataDir().resolve("vms").resolve(a);
        long pid = Processes.qemuOf(a).orElseThrow();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        awaitStatus(a, "powered-off", Duration.ofSeconds(15));
        assertFalse(Processes.running(pid));

        // Its files vanish behind the service's back: 409 vm-open-error, and DELETE still cleans up.
        Files.move(vmDir, vmDir.resolveSibling(a + ".moved"));
        Response conflict = get("/vms/" + a);
        assertEquals(409, conflict.status);
        assertEquals("vm-open-error", conflict.body.get("code").textValue());
        assertEquals(204, delete(a));
        assertEquals(404, get("/vms/" + a).status);
    }

    @Test
    @Order(3)
    void fiveConcurrentCreatesOfANewImageFetchItOnce() throws Exception {
        Path disk = blankDisk("blank.qcow2", 64);
        String path = "/images/blank.qcow2";
        String url = images.serve(path, disk);
        String sum = TestImages.sha256(disk);
        List<String> ids = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(5)) {
            List<Future<String>> creates = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                creates.add(pool.submit((Callable<String>) () -> createOk(url, sum, "{\"memory\": \"64mib\", \"cpus\": 1, \"tools_init_timeout\": 1}")));
            }
            for (Future<String> f : creates) ids.add(f.get());
        }
        for (String id : ids) awaitStatus(id, "powered-on", Duration.ofSeconds(120));
        assertEquals(1, images.hits(path), "five concurrent creates downloaded the image once");
        for (String id : ids) assertEquals(204, delete(id));
    }

    @Test
    @Order(4)
    void aCreationCutOffByAKilledServiceResumesAfterTheRestart() throws Exception {
        Path disk = blankDisk("blank-slow.qcow2", 32);
        String path = "/images/slow.qcow2";
        // The first response stalls, so the service is killed mid-download.
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        String url = images.serve(path, () -> {
            try {
                if (first.getAndSet(false)) Thread.sleep(60_000);
                return Files.newInputStream(disk);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        String id = createOk(url, TestImages.sha256(disk), "{\"memory\": \"64mib\", \"cpus\": 1, \"tools_init_timeout\": 1}");
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (images.hits(path) == 0 && System.nanoTime() < until) Thread.sleep(50);
        assertEquals(1, images.hits(path));

        hangar.kill();
        hangar.start();
        awaitStatus(id, "powered-on", Duration.ofSeconds(60));
        assertEquals(2, images.hits(path), "the cut-off download ran again");
        try (Stream<Path> cached = Files.list(hangar.dataDir().resolve("images"))) {
            assertTrue(cached.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no partial image is left");
        }
        assertEquals(204, delete(id));
    }

    @Test
    @Order(5)
    void aServiceKilledWhileAVmWaitsForItsAddressStillCallsBack() throws Exception {
        Path disk = blankDisk("blank-wait.qcow2", 16);
        String url = images.serve("/images/blank-wait.qcow2", disk);
        // SeaBIOS finds no disk to boot and falls back to network boot, whose DHCP takes seconds:
        // killed right at powered-on, the service is still waiting for the address.
        String id = createOk(url, TestImages.sha256(disk), "{\"memory\": \"64mib\", \"cpus\": 1, \"tools_init_timeout\": 15, "
                + "\"callback_url\": \"" + callbacks.url() + "\"}");
        awaitStatus(id, "powered-on", Duration.ofSeconds(60));
        hangar.kill();
        assertEquals(0, callbacks.received(), "killed before it called back");

        hangar.start();
        CallbackReceiver.Call call = callbacks.next(Duration.ofSeconds(60));
        assertEquals(id, call.body().get("id").textValue());
        assertEquals("powered-on", call.body().get("status").textValue());
        assertTrue(hangar.log().contains("resuming the address wait and callback of VM " + id));
        assertEquals(204, delete(id));
    }

    // ---- bad images: a precise code, nothing cached ----------------------------------------------

    @Test
    @Order(6)
    void badImagesEndInErrorWithAPreciseCodeAndNothingCached() throws Exception {
        Path small = blankDisk("small.qcow2", 1);
        String wrongSum = TestImages.sha256("something else".getBytes(StandardCharsets.UTF_8));
        assertImageFails(images.serve("/bad/mismatch.qcow2", small), wrongSum, "image-checksum-mismatch");
        assertImageFails(images.url("/bad/missing.tar.gz"), wrongSum, "image-download-failed", "404");
        assertImageFails("http://127.0.0.1:9/closed.tar.gz", wrongSum, "image-download-failed");

        byte[] random = new byte[4096];
        new java.util.Random(7).nextBytes(random);
        random[0] = 0x42;
        assertImageFails(images.serve("/bad/random.bin", random), TestImages.sha256(random), "image-format-unsupported");

        byte[] readme = tarGz("box/README.txt", "no disk here".getBytes(StandardCharsets.UTF_8));
        assertImageFails(images.serve("/bad/readme.tar.gz", readme), TestImages.sha256(readme), "image-no-disk");

        byte[] evil = tarGz("../../evil.vmdk", "x".getBytes(StandardCharsets.UTF_8));
        assertImageFails(images.serve("/bad/evil.tar.gz", evil), TestImages.sha256(evil), "image-unsafe-archive");
        assertFalse(Files.exists(hangar.dataDir().resolve("evil.vmdk")));

        // A 256 MiB raw disk against the 200 MiB cap this service runs with; generated as it is sent.
        long size = 256L << 20;
        assertImageFails(images.serve("/bad/huge.raw", () -> hugeRawDisk(size)), "00".repeat(32), "image-too-large");
    }

    @Test
    @Order(7)
    void invalidRequestsGetOneCodeEach() throws Exception {
        String image = "\"image\": {\"url\": \"http://127.0.0.1:1/x\", \"checksum\": \"" + "0".repeat(64) + "\", \"checksum_type\": \"sha256\"}";
        assertEquals("invalid-memory", postRaw("{\"memory\": \"1gb\", " + image + "}", "application/json").body.get("code").textValue());
        assertEquals("invalid-cpus", postRaw("{\"cpus\": 0, " + image + "}", "application/json").body.get("code").textValue());
        assertEquals("invalid-network-type", postRaw("{\"network_type\": \"x\", " + image + "}", "application/json").body.get("code").textValue());
        assertEquals("invalid-checksum-type", postRaw("{\"image\": {\"url\": \"http://h/x\", \"checksum\": \"00\", \"checksum_type\": \"crc\"}}", "application/json").body.get("code").textValue());
        assertEquals("missing-image", postRaw("{\"cpus\": 1}", "application/json").body.get("code").textValue());
        Response notJson = postRaw("{\"cpus\": ", "application/json");
        assertEquals(415, notJson.status);
        assertEquals(415, postRaw("cpus=1", "text/plain").status);
        assertEquals(404, get("/vms/" + java.util.UUID.randomUUID()).status);
        assertEquals("vm-not-found", get("/vms/nope").body.get("code").textValue());
        assertEquals(404, get("/nowhere").status);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms"))
                .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, put.statusCode());
        assertEquals("method-not-allowed", Json.MAPPER.readTree(put.body()).get("code").textValue());
    }

    @Test
    @Order(8)
    void withoutRootBridgesAreRefusedWithAClearCodeAndUserModeNetworkingWorks() throws Exception {
        assumeTrue(driver.equals("qemu"), "an unprivileged service has no libvirt of its own to talk to");
        Path image = TestImages.directBoot();
        String url = images.serve("/images/direct-boot-user.tar.gz", image);
        String body = "{\"image\": {\"url\": \"" + url + "\", \"checksum\": \"" + TestImages.sha256(image)
                + "\", \"checksum_type\": \"sha256\"}, \"tools_init_timeout\": 60}";
        Command.check("chmod", "755", data.toString()); // JUnit makes it private to root
        Path home = Files.createDirectories(data.resolve("nobody"));
        Command.check("chown", "65534:65534", home.toString());

        try (HangarProcess bridged = new HangarProcess(home.resolve("bridge"), "--max-image-size", "200mib").unprivileged().start()) {
            Response refused = postTo(bridged.base(), body);
            assertEquals(503, refused.status, refused.text);
            assertEquals("network-permission-denied", refused.body.get("code").textValue());
        }
        try (HangarProcess user = new HangarProcess(home.resolve("user"), "--max-image-size", "200mib",
                "--network-mode", "user", "--delete-grace", "3").unprivileged().start()) {
            Response created = postTo(user.base(), body);
            assertEquals(202, created.status, created.text);
            String id = created.body.get("id").textValue();
            awaitStatus(user.base(), id, "powered-on", Duration.ofSeconds(120));
            // No DHCP lease to read in user mode: the address comes from the QEMU guest agent in the guest.
            JsonNode vm = awaitIp(user.base(), id, Duration.ofSeconds(120));
            assertEquals("10.0.2.15", vm.get("ip_address").textValue());
            assertEquals("hangar-test-linux", vm.get("guest_os").textValue(), "the image's guest_os wins over the agent's");
            assertEquals(204, http.send(HttpRequest.newBuilder(URI.create(user.base() + "/vms/" + id)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
        }
    }

    @Test
    @Order(9)
    void aRestartOfLibvirtdLeavesTheVmRunningAndHangarInCharge() throws Exception {
        assumeTrue(driver.equals("libvirt"), "libvirt only");
        Path image = TestImages.directBoot();
        String url = images.serve("/images/direct-boot-restart.tar.gz", image);
        String id = createOk(url, TestImages.sha256(image), "{\"memory\": \"256mib\"}");
        String ip = awaitIp(id, Duration.ofSeconds(120)).get("ip_address").textValue();
        long pid = Processes.qemuOf(id).orElseThrow();

        Machines.restartLibvirtd();

        assertTrue(Processes.running(pid), "QEMU does not stop with libvirtd");
        Thread.sleep(3000); // more than one monitor interval, with libvirtd back
        assertEquals("powered-on", get("/vms/" + id).body.get("status").textValue(), "never read powered-off meanwhile");
        assertTrue(Guests.page(ip).startsWith("hangar-guest-ok"));
        Machines.pause(driver, hangar.dataDir().resolve("vms").resolve(id), true);
        awaitStatus(id, "suspended", Duration.ofSeconds(15));
        Machines.pause(driver, hangar.dataDir().resolve("vms").resolve(id), false);
        awaitStatus(id, "powered-on", Duration.ofSeconds(15));
        assertEquals(204, delete(id));
        assertFalse(Processes.running(pid));
        assertFalse(Machines.list().contains(id), "undefined: " + Machines.list());
        assertTrue(hangar.log().contains("reconnected to libvirt"), "the service reconnected");

        // At its next start the service removes a domain of its own that no record names, and never
        // one it did not make.
        String owner = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(hangar.dataDir().toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8)), 0, 8);
        String leftover = java.util.UUID.randomUUID().toString();
        Machines.define(data.resolve("leftover.xml"), "hangar-leftover-" + leftover.substring(0, 8), leftover,
                "<metadata><hangar:vm xmlns:hangar=\"https://hangar.dev/xmlns/vm/1\" id=\"" + leftover + "\" owner=\"" + owner + "\"/></metadata>");
        String foreign = java.util.UUID.randomUUID().toString();
        Machines.define(data.resolve("foreign.xml"), "not-hangars-" + foreign.substring(0, 8), foreign, "");
        assertTrue(Machines.list().contains("hangar-leftover-" + leftover.substring(0, 8)), Machines.list());
        hangar.kill();
        hangar.start();
        String after = Machines.list();
        assertFalse(after.contains("hangar-leftover-" + leftover.substring(0, 8)), "its own leftover is gone: " + after);
        assertTrue(after.contains("not-hangars-" + foreign.substring(0, 8)), "a domain it did not make stays: " + after);
        Machines.undefine(foreign);
    }

    // ---- the VM library (--vm-lib) ------------------------------------------------------------------

    @Test
    @Order(10)
    void aLibraryVmBootsFromItsFolderAndLeavesTheFolderAsItWas() throws Exception {
        // The box's own folder, hangar-test.vmwarevm/{hangar-test.vmx, hangar-test.vmdk}, as an operator keeps it.
        Path library = library(driver);
        Command.check("tar", "-xzf", TestImages.vmwareBox().toString(), "-C", library.toString());
        Path folder = library.resolve("hangar-test.vmwarevm");
        assertTrue(Files.isRegularFile(folder.resolve("hangar-test.vmx")), "the box unpacks to a library folder");
        List<String> before = listing(folder);

        ObjectNode missing = Json.MAPPER.createObjectNode().put("tools_init_timeout", 1);
        missing.putObject("image").put("library", "no-such-vm");
        Response refused = post("/vms", missing);
        assertEquals(202, refused.status, refused.text);
        String missingId = refused.body.get("id").textValue();
        JsonNode failed = awaitStatus(missingId, "error", Duration.ofSeconds(30));
        assertEquals("library-vm-not-found", failed.get("error").get("code").textValue(), failed.toString());
        assertEquals(204, delete(missingId));

        ObjectNode body = Json.MAPPER.createObjectNode().put("memory", "256mib").put("network_type", "nat");
        body.putObject("image").put("library", "hangar-test");
        Response created = post("/vms", body);
        assertEquals(202, created.status, created.text);
        assertEquals("hangar-test", created.body.get("image").get("library").textValue());
        String id = created.body.get("id").textValue();

        JsonNode vm = awaitIp(id, Duration.ofSeconds(180));
        assertEquals("powered-on", vm.get("status").textValue());
        assertEquals("other26xlinux-64", vm.get("guest_os").textValue(), "guest_os comes from the folder's .vmx");
        assertEquals(1, vm.get("cpus").intValue(), "cpus the request left out come from the .vmx");
        String ip = vm.get("ip_address").textValue();
        assertTrue(Guests.page(ip).startsWith("hangar-guest-ok"), "the guest answers from the host at " + ip);
        try (Stream<Path> golds = Files.list(hangar.dataDir().resolve("images"))) {
            assertEquals(1, golds.filter(p -> p.getFileName().toString().startsWith("lib-hangar-test-")).count(),
                    "the folder was imported as one gold image");
        }
        assertEquals(before, listing(folder), "the library folder is only read");
        assertEquals(204, delete(id));
    }

    // ---- every VMware controller, proven by a guest that has only its driver ---------------------

    /** VMware's disk controllers, each in a box whose guest loads only that controller's driver. */
    private static final List<String> CONTROLLERS = List.of("ide", "sata", "lsilogic", "lsisas1068", "pvscsi", "nvme");
    /** Which Linux driver each controller's disks are found with (QEMU's LSI 53C895A for lsilogic). */
    private static final java.util.Map<String, String> DISK_DRIVERS = java.util.Map.of("ide", "ata_piix", "sata", "ahci",
            "lsilogic", "sym53c8xx", "lsisas1068", "mptsas", "pvscsi", "vmw_pvscsi", "nvme", "nvme");
    /** Run by the guest from its seed: the page names the VM's instance-id (meta-data) and the modules the guest loaded. */
    private static final String REPORTING_USER_DATA = "#!/bin/sh\n"
            + "echo \"user-data ran for $(sed -n 's/^instance-id: //p' /mnt/cidata/meta-data)\" > /www/user-data.txt\n"
            + "cut -d' ' -f1 /proc/modules > /www/modules.txt\n";

    @Test
    @Order(11)
    void everyVmwareControllerBootsAGuestThatDrivesOnlyThatControllerWithItsSeedAndUserData() throws Exception {
        List<String> failures = new ArrayList<>();
        // Two guests at a time, the most this machine boots at full speed.
        for (int i = 0; i < CONTROLLERS.size(); i += 2) {
            List<String> pair = CONTROLLERS.subList(i, Math.min(i + 2, CONTROLLERS.size()));
            java.util.Map<String, String> ids = new java.util.LinkedHashMap<>();
            for (String controller : pair) {
                Path box = TestImages.vmwareBox(controller);
                String url = images.serve("/boxes/" + box.getFileName(), box);
                ObjectNode body = Json.MAPPER.createObjectNode().put("memory", "256mib").put("network_type", "nat")
                        .put("user_data", REPORTING_USER_DATA);
                body.putObject("image").put("url", url).put("checksum", TestImages.sha256(box)).put("checksum_type", "sha256");
                Response created = post("/vms", body);
                assertEquals(202, created.status, created.text);
                ids.put(controller, created.body.get("id").textValue());
            }
            for (var e : ids.entrySet()) {
                try {
                    assertGuestDrivesItsController(e.getKey(), e.getValue());
                } catch (AssertionError failure) {
                    failures.add(e.getKey() + ": " + failure.getMessage() + "\nconsole:\n"
                            + get("/vms/" + e.getValue() + "/console").text);
                } finally {
                    assertEquals(204, delete(e.getValue()));
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + CONTROLLERS.size() + " controllers failed under " + driver
                + ":\n" + String.join("\n\n", failures));
    }

    /**
     * The guest booted from its disk by firmware (SeaBIOS through that controller), found its boot disk,
     * its data disk and the seed's CD-ROM with only that controller's driver, ran the user-data, and
     * answers on the network through the NIC model of its .vmx.
     */
    private void assertGuestDrivesItsController(String controller, String id) throws Exception {
        JsonNode vm = awaitIp(id, Duration.ofSeconds(300));
        String ip = vm.get("ip_address").textValue();
        String disks = guestFile(ip, "/disks.txt", "cidata ");
        String disk = controller.equals("nvme") ? "nvme\\d+n1" : "sd[a-z]";
        assertTrue(disks.lines().anyMatch(l -> l.matches("boot " + disk)), "the boot disk is found: " + disks);
        assertTrue(disks.lines().anyMatch(l -> l.matches("data " + disk)), "the second disk is found: " + disks);
        assertTrue(disks.lines().anyMatch(l -> l.equals("cidata sr0")), "the seed is a CD-ROM: " + disks);
        assertEquals("user-data ran for " + id, guestFile(ip, "/user-data.txt", "user-data ran").strip());
        List<String> modules = guestFile(ip, "/modules.txt", "\n").lines().toList();
        assertTrue(modules.contains(DISK_DRIVERS.get(controller)), "the disks come through " + DISK_DRIVERS.get(controller) + ": " + modules);
        assertFalse(modules.contains("virtio_blk") || modules.contains("virtio_scsi"), "no virtio disk driver: " + modules);
        assertEquals(controller.equals("nvme") || controller.equals("sata"), modules.contains("ahci"),
                "AHCI only where the box has SATA (an NVMe box's seed sits there): " + modules);
    }

    /** A file the guest serves, once it holds the text (60 s at most: a SCSI bus is scanned after boot). */
    private static String guestFile(String ip, String path, String text) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String body = "";
        while (System.nanoTime() < until) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + ip + path))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                body = r.body();
                if (r.statusCode() == 200 && body.contains(text)) return body;
            } catch (IOException notYet) {
                // httpd starts a moment after the address is leased
            }
            Thread.sleep(500);
        }
        throw new AssertionError("http://" + ip + path + " does not hold \"" + text + "\" within 60 s: " + body);
    }

    // ---- a VM deleted while its image downloads ---------------------------------------------------

    @Test
    @Order(12)
    void aVmDeletedWhileItsImageDownloadsStopsTheDownloadAndLeavesNothing() throws Exception {
        String path = "/slow/" + driver + ".raw";
        String url = images.serve(path, ImageServer::tricklingBody);
        String checksum = "ab".repeat(32);
        String id = createOk(url, checksum, "{\"tools_init_timeout\": 1}");
        awaitDownloading(id);
        assertEquals(1, images.openAnswers(), "the download is under way");

        assertEquals(204, delete(id));
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (images.openAnswers() > 0 && System.nanoTime() < until) Thread.sleep(100);
        assertEquals(0, images.openAnswers(), "the server saw the download's connection closed");
        List<String> left = List.of();
        while (System.nanoTime() < until) {
            try (Stream<Path> cached = Files.list(hangar.dataDir().resolve("images"))) {
                left = cached.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") || n.contains(checksum)).toList();
            }
            if (left.isEmpty()) break;
            Thread.sleep(100);
        }
        assertEquals(List.of(), left, "no partial download, no gold");
        assertTrue(Processes.qemuOf(id).isEmpty(), "no machine was started");
        assertEquals(404, get("/vms/" + id).status);
        assertEquals(1, images.hits(path));
        assertTrue(hangar.log().contains("abandoned"), "the service says it stopped the download");
    }

    @Test
    @Order(13)
    void cancellingAVmsCreationThroughItsOperationStopsTheDownloadAndDeletesTheVm() throws Exception {
        String path = "/slow-cancelled/" + driver + ".raw";
        String url = images.serve(path, ImageServer::tricklingBody);
        String id = createOk(url, "cd".repeat(32), "{\"tools_init_timeout\": 1}");
        String op = awaitDownloading(id);
        long until;
        assertEquals(true, get("/operations/" + op).body().get("may_cancel").booleanValue());

        HttpResponse<String> cancel = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/operations/" + op)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode ended = get("/operations/" + op + "/wait?timeout=60").body();

        assertEquals(202, cancel.statusCode(), cancel.body());
        assertEquals("failed", ended.get("status").asText(), ended.toString());
        assertEquals("operation-cancelled", ended.get("error").get("code").asText());
        until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while ((get("/vms/" + id).status != 404 || images.openAnswers() > 0) && System.nanoTime() < until) Thread.sleep(100);
        assertEquals(404, get("/vms/" + id).status, "calling the creation off deleted the VM");
        assertEquals(0, images.openAnswers(), "the server saw the download's connection closed");
        assertTrue(Processes.qemuOf(id).isEmpty(), "no machine was started");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The id of the VM's vm.create operation once it shows the image's download under way (this VM's: not an earlier one's). */
    private static String awaitDownloading(String vm) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            for (JsonNode o : get("/operations").body()) {
                if (o.get("target").asText().equals(vm) && o.get("kind").asText().equals("vm.create")
                        && o.get("phase").asText().startsWith("downloading the image")) return o.get("id").asText();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("VM " + vm + "'s creation never showed its download under way: " + get("/operations").text);
    }

    private static Path library(String driver) {
        return data.resolve("vmlib-" + driver);
    }

    /** The folder's files with their sizes and modification times. */
    private static List<String> listing(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            List<String> out = new ArrayList<>();
            for (Path p : files.sorted().toList()) {
                out.add(folder.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p));
            }
            return out;
        }
    }

    private void assertImageFails(String url, String sha256, String code, String... messageParts) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode().put("tools_init_timeout", 1).put("callback_url", callbacks.url());
        body.putObject("image").put("url", url).put("checksum", sha256).put("checksum_type", "sha256");
        Response r = post("/vms", body);
        assertEquals(202, r.status, r.text);
        String id = r.body.get("id").textValue();
        JsonNode vm = awaitStatus(id, "error", Duration.ofSeconds(60));
        assertEquals(code, vm.get("error").get("code").textValue(), vm.toString());
        for (String part : messageParts) assertTrue(vm.get("error").get("message").textValue().contains(part), vm.toString());
        CallbackReceiver.Call call = callbacks.next(Duration.ofSeconds(30));
        assertEquals(id, call.body().get("id").textValue());
        assertEquals(code, call.body().get("code").textValue());
        try (Stream<Path> cached = Files.list(hangar.dataDir().resolve("images"))) {
            List<String> names = cached.map(p -> p.getFileName().toString()).toList();
            assertFalse(names.contains("sha256-" + sha256), "nothing is cached for a bad image: " + names);
            assertTrue(names.stream().noneMatch(n -> n.startsWith(".")), "no partial image is left: " + names);
        }
        assertTrue(Processes.qemuOf(id).isEmpty(), "no machine was started");
        assertEquals(204, delete(id));
    }

    /**
     * An empty qcow2, a cheap guest: SeaBIOS finds no disk to boot, tries network boot, then waits. It
     * costs little CPU, so several can run at once. Each size is another image (another checksum).
     */
    private static Path blankDisk(String name, int mib) throws IOException {
        Path disk = data.resolve(name);
        Command.check("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), mib + "M");
        return disk;
    }

    private static String createOk(String url, String sum, String extraJson) throws Exception {
        ObjectNode body = (ObjectNode) Json.MAPPER.readTree(extraJson);
        body.putObject("image").put("url", url).put("checksum", sum).put("checksum_type", "sha256");
        Response r = post("/vms", body);
        assertEquals(202, r.status, r.text);
        return r.body.get("id").textValue();
    }

    private static JsonNode awaitIp(String id, Duration timeout) throws Exception {
        return awaitIp(hangar.base(), id, timeout);
    }

    private static JsonNode awaitIp(String base, String id, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        JsonNode vm;
        do {
            vm = get(base, "/vms/" + id).body;
            assertNotEquals("error", vm.get("status").textValue(), vm.toString());
            if (!vm.get("ip_address").textValue().isEmpty()) return vm;
            Thread.sleep(250);
        } while (System.nanoTime() < until);
        throw new AssertionError("no IP within " + timeout + ": " + vm + "\n" + hangar.log());
    }

    private static JsonNode awaitStatus(String id, String status, Duration timeout) throws Exception {
        return awaitStatus(hangar.base(), id, status, timeout);
    }

    private static JsonNode awaitStatus(String base, String id, String status, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        JsonNode vm;
        do {
            vm = get(base, "/vms/" + id).body;
            if (status.equals(vm.get("status").textValue())) return vm;
            Thread.sleep(250);
        } while (System.nanoTime() < until);
        throw new AssertionError("not " + status + " within " + timeout + ": " + vm);
    }

    /** The first bytes a VNC server sends ("RFB 003.008\n"), from its Unix socket. */
    private static String vncBanner(String address) throws IOException {
        try (var channel = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(address.substring("unix:".length())))) {
            java.nio.ByteBuffer banner = java.nio.ByteBuffer.allocate(12);
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (banner.hasRemaining() && System.nanoTime() < until) channel.read(banner);
            return new String(banner.array(), 0, banner.position(), StandardCharsets.US_ASCII);
        }
    }

    /** The first bytes the VM's screen WebSocket carries, as noVNC would get them. */
    private String screenBanner(String id) throws Exception {
        java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
        java.net.http.WebSocket ws = http.newWebSocketBuilder().subprotocols("binary")
                .buildAsync(URI.create(hangar.base().replaceFirst("^http", "ws") + "/vms/" + id + "/vnc/ws"), new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onBinary(java.net.http.WebSocket w, java.nio.ByteBuffer data, boolean last) {
                        first.complete(StandardCharsets.US_ASCII.decode(data).toString());
                        return null;
                    }
                }).get(30, java.util.concurrent.TimeUnit.SECONDS);
        try {
            return first.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            ws.abort();
        }
    }

    private static boolean sleepy(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    private static String leases() throws IOException {
        Path f = hangar.dataDir().resolve("networks").resolve("hangar0.leases");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private static String hmac(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] tarGz(String name, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(content.length);
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    /** A raw disk (MBR signature at 510) of the given size, generated as it is read. */
    private static InputStream hugeRawDisk(long size) {
        return new InputStream() {
            long pos;

            @Override
            public int read() {
                if (pos >= size) return -1;
                long p = pos++;
                return p == 510 ? 0x55 : p == 511 ? 0xAA : 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= size) return -1;
                int n = (int) Math.min(len, size - pos);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                for (int i = 0; i < n; i++) {
                    long p = pos + i;
                    if (p == 510) b[off + i] = 0x55;
                    if (p == 511) b[off + i] = (byte) 0xAA;
                }
                pos += n;
                return n;
            }
        };
    }

    record Response(int status, JsonNode body, String text, String location) {}

    private static Response post(String path, JsonNode body) throws Exception {
        return postRaw(Json.MAPPER.writeValueAsString(body), "application/json", path);
    }

    private static Response postRaw(String body, String type) throws Exception {
        return postRaw(body, type, "/vms");
    }

    private static Response postTo(String base, String body) throws Exception {
        return send(base, body, "application/json", "/vms");
    }

    private static Response postRaw(String body, String type, String path) throws Exception {
        return send(hangar.base(), body, type, path);
    }

    private static Response send(String base, String body, String type, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body().isEmpty() ? null : Json.MAPPER.readTree(r.body()), r.body(),
                r.headers().firstValue("Location").orElse(null));
    }

    private static Response get(String path) throws Exception {
        return get(hangar.base(), path);
    }

    private static Response get(String base, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), Json.MAPPER.readTree(r.body()), r.body(), null);
    }

    private static int delete(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(hangar.base() + "/vms/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
