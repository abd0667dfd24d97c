// create -> guest answering over HTTP: Hangar (POST /vms) against bare qemu-system-x86_64 with the
// exact command line Hangar used (less its -runas: the bare QEMU runs as root from the bench's own
// directory), on Hangar's bridge and dnsmasq, and on a bridge of the bench's own whose dnsmasq has
// Hangar's arguments less --no-ping and --dhcp-ignore-clid (stock dnsmasq: it pings an address before
// it offers it). Runs inside the benchmark's network namespace, next to a service in bridge mode. Usage:
//   java bench/BootBench.java BASE_URL IMAGE_URL SHA256 DATA_DIR WORK_DIR RUNS
// 1. Warm-up create (fetches the image): takes the QEMU's argv from /proc/PID/cmdline (exact, where the
//    space-joined DATA/vms/ID/qemu.cmdline cannot tell arguments with spaces apart), checks it against
//    qemu.cmdline, then deletes the VM.
// 2. RUNS times, alternating: Hangar (POST, poll GET /vms/ID for ip_address, then GET http://IP/ until
//    it says hangar-guest-ok; GET is polled once dnsmasq's lease file shows the VM's MAC), bare QEMU on
//    Hangar's dnsmasq and bare QEMU on stock dnsmasq (that argv rewritten for a fresh overlay on the
//    same gold, a fresh tap on the bridge, a new MAC and its own directory; poll the lease file for the
//    MAC, then GET http://IP/). All polls every 20 ms. The overlay and tap for bare QEMU are made before
//    its clock starts (timed separately). Every wait has a time limit that fails the run, saying which.
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class BootBench {
    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern IP = Pattern.compile("\"ip_address\"\\s*:\\s*\"([^\"]*)\"");
    static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern MAC = Pattern.compile("mac=([0-9a-fA-F:]{17})");
    static final long POLL_MS = 20;
    static final long LIMIT_NS = 120_000_000_000L;
    static final HttpClient api = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final HttpClient guest = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(500)).build();
    static String base;
    static Path data, work, leases;

    record Run(double started, double lease, double apiIp, double answered, String ip) {}

    /** A bridge bare QEMU joins, and the lease file of the dnsmasq that serves it. */
    record Lan(String bridge, Path leases) {}

    static final String STOCK_BRIDGE = "bstock0";

    public static void main(String[] a) throws Exception {
        base = a[0];
        String body = "{\"network_type\":\"nat\",\"image\":{\"url\":\"" + a[1] + "\",\"checksum\":\"" + a[2] + "\",\"checksum_type\":\"sha256\"}}";
        data = Path.of(a[3]);
        work = Path.of(a[4]);
        int runs = Integer.parseInt(a[5]);
        leases = data.resolve("networks/hangar0.leases");

        // 1. Warm-up: fetch the image, capture the command line.
        long w0 = System.nanoTime();
        String id = post(body);
        Run warm = awaitHangar(id, w0);
        Path vmDir = data.resolve("vms").resolve(id);
        long pid = Long.parseLong(Files.readString(vmDir.resolve("qemu.pid")).strip());
        List<String> argv = new ArrayList<>(Arrays.asList(
                new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).split("\0")));
        String recorded = Files.readString(vmDir.resolve("qemu.cmdline")).strip();
        System.out.printf("warm-up create (image fetched): answering after %.0f ms at %s%n", warm.answered, warm.ip);
        System.out.println("qemu.cmdline " + (recorded.equals(String.join(" ", argv)) ? "matches" : "DIFFERS FROM")
                + " the running QEMU's argv: " + recorded);
        String gold = backingOf(vmDir.resolve("disk0.qcow2"));
        String hangarDnsmasq = dnsmasqArgv(data.resolve("networks/hangar0.dnsmasq.pid"));
        delete(id);
        Lan hangarLan = new Lan("hangar0", leases);
        Lan stockLan = stockDnsmasq(hangarDnsmasq);
        System.out.println("Hangar's dnsmasq: " + hangarDnsmasq);

        // 2. Alternate.
        List<Run> hangar = new ArrayList<>(), bare = new ArrayList<>(), stock = new ArrayList<>();
        List<Double> prep = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            long t0 = System.nanoTime();
            String vm = post(body);
            Run h = awaitHangar(vm, t0);
            hangar.add(h);
            System.out.printf("  hangar run %d: QEMU pid file %.0f ms, lease %.0f ms, ip in API %.0f ms, HTTP answer %.0f ms (%s)%n",
                    i, h.started, h.lease, h.apiIp, h.answered, h.ip);
            delete(vm);

            Run b = bareRun(2 * i, argv, vmDir.toString(), id, gold, prep, hangarLan);
            bare.add(b);
            System.out.printf("  bare   run %d, Hangar's dnsmasq: QEMU pid file %.0f ms, lease %.0f ms, HTTP answer %.0f ms (%s); overlay+tap made beforehand in %.0f ms%n",
                    i, b.started, b.lease, b.answered, b.ip, prep.get(prep.size() - 1));
            Run st = bareRun(2 * i + 1, argv, vmDir.toString(), id, gold, new ArrayList<>(), stockLan);
            stock.add(st);
            System.out.printf("  bare   run %d, stock dnsmasq:   QEMU pid file %.0f ms, lease %.0f ms, HTTP answer %.0f ms (%s)%n",
                    i, st.started, st.lease, st.answered, st.ip);
        }
        double sm = median(stock.stream().mapToDouble(Run::answered).toArray());
        double hm = median(hangar.stream().mapToDouble(Run::answered).toArray());
        double bm = median(bare.stream().mapToDouble(Run::answered).toArray());
        System.out.printf("cold path: bare QEMU -> HTTP answer on stock dnsmasq %.0f ms (lease %.0f ms), on Hangar's dnsmasq %.0f ms (lease %.0f ms):"
                        + " %.2fx; Hangar's create -> HTTP answer %.0f ms: %.2fx of bare on stock dnsmasq  [target <= 0.5x: %s]%n",
                sm, median(stock.stream().mapToDouble(Run::lease).toArray()), bm, median(bare.stream().mapToDouble(Run::lease).toArray()),
                bm / sm, hm, hm / sm, hm / sm <= 0.5 ? "meets" : "misses");
        double pm = median(prep.stream().mapToDouble(Double::doubleValue).toArray());
        double overhead = (hm / bm - 1) * 100;
        System.out.printf("medians: hangar create -> HTTP answer %.0f ms; bare QEMU launch -> HTTP answer %.0f ms%n", hm, bm);
        System.out.printf("  hangar: QEMU up %.0f ms, lease %.0f ms, ip in API %.0f ms; bare: QEMU up %.0f ms, lease %.0f ms%n",
                median(hangar.stream().mapToDouble(Run::started).toArray()), median(hangar.stream().mapToDouble(Run::lease).toArray()),
                median(hangar.stream().mapToDouble(Run::apiIp).toArray()),
                median(bare.stream().mapToDouble(Run::started).toArray()), median(bare.stream().mapToDouble(Run::lease).toArray()));
        double[] lag = hangar.stream().mapToDouble(r -> r.apiIp - r.lease).toArray();
        double[] guestGap = bare.stream().mapToDouble(r -> r.answered - r.lease).toArray();
        System.out.printf("  hangar's lease -> ip in API lag: median %.0f ms, max %.0f ms (the guest itself answers HTTP %.0f ms after its lease, median of bare runs)%n",
                median(lag), Arrays.stream(lag).max().orElse(0), median(guestGap));
        System.out.printf("overhead hangar / bare: %.2f (%+.1f %%)  [target <= +10 %%: %s]%n", hm / bm, overhead, overhead <= 10 ? "meets" : "misses");
        double withPrep = bm + pm;
        System.out.printf("  for reference, counting bare QEMU's overlay + tap (median %.0f ms) too: %.2f (%+.1f %%)%n",
                pm, hm / withPrep, (hm / withPrep - 1) * 100);
    }

    static Run awaitHangar(String id, long t0) throws Exception {
        Path dir = data.resolve("vms").resolve(id);
        double started = -1, lease = -1, apiIp = -1;
        String mac = null, ip = "";
        while (true) {
            double now = ms(t0);
            if (System.nanoTime() - t0 > LIMIT_NS) throw new IllegalStateException("VM " + id + " not answering after 120 s");
            if (started < 0 && Files.exists(dir.resolve("qemu.pid"))) started = now;
            if (mac == null && Files.exists(dir.resolve("qemu.cmdline"))) {
                Matcher m = MAC.matcher(Files.readString(dir.resolve("qemu.cmdline")));
                if (m.find()) mac = m.group(1).toLowerCase();
            }
            if (lease < 0 && mac != null && leaseFor(mac).isPresent()) lease = now;
            // The API is polled only once the lease exists, so the benchmark's own polling does not load
            // the service (and the 2 cores) while the guest boots.
            if (ip.isEmpty() && lease >= 0) {
                String vm = api("GET", "/vms/" + id).body();
                String status = field(STATUS, vm);
                if (status.equals("error")) throw new IllegalStateException("VM failed: " + vm);
                ip = field(IP, vm);
                if (!ip.isEmpty()) apiIp = ms(t0);
            }
            if (!ip.isEmpty() && answers(ip)) return new Run(started, lease, apiIp, ms(t0), ip);
            Thread.sleep(POLL_MS);
        }
    }

    /** The running dnsmasq's arguments, as /proc has them (the pid file is dnsmasq's own). */
    static String dnsmasqArgv(Path pidFile) throws IOException {
        String pid = Files.readString(pidFile).strip();
        return new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').strip();
    }

    /**
     * A bridge of the bench's own (10.99.7.0/24) served by a dnsmasq with Hangar's arguments less the
     * two it adds to stock behaviour, so the two arms differ in those alone. Ended with the namespace.
     */
    static Lan stockDnsmasq(String hangarArgv) throws Exception {
        run("ip", "link", "add", STOCK_BRIDGE, "type", "bridge");
        run("ip", "addr", "add", "10.99.7.1/24", "dev", STOCK_BRIDGE);
        run("ip", "link", "set", STOCK_BRIDGE, "up");
        Path lease = work.resolve("stock.leases");
        List<String> argv = new ArrayList<>();
        for (String a : hangarArgv.split(" ")) {
            if (a.equals("--no-ping") || a.equals("--dhcp-ignore-clid")) continue;
            if (a.startsWith("--interface=")) a = "--interface=" + STOCK_BRIDGE;
            else if (a.startsWith("--dhcp-range=")) a = "--dhcp-range=10.99.7.50,10.99.7.200,12h";
            else if (a.startsWith("--dhcp-leasefile=")) a = "--dhcp-leasefile=" + lease;
            else if (a.startsWith("--pid-file=")) a = "--pid-file=" + work.resolve("stock.dnsmasq.pid");
            argv.add(a);
        }
        System.out.println("stock dnsmasq:    " + String.join(" ", argv));
        run(argv.toArray(String[]::new));
        return new Lan(STOCK_BRIDGE, lease);
    }

    static Run bareRun(int i, List<String> argv, String vmDir, String vmId, String gold, List<Double> prep, Lan lan) throws Exception {
        Path dir = work.resolve("bare-" + i);
        Files.createDirectories(dir);
        String tap = String.format("bbt%04d", i);
        String mac = String.format("52:54:00:bb:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
        long p0 = System.nanoTime();
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", gold, "-F", "qcow2", dir.resolve("disk0.qcow2").toString());
        run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        run("ip", "link", "set", tap, "master", lan.bridge());
        run("ip", "link", "set", tap, "up");
        prep.add(ms(p0));
        String oldTap = null;
        List<String> mine = new ArrayList<>();
        boolean runas = false;
        for (String arg : argv) {
            // As root, from the bench's own 0700 directory: Hangar's QEMU user could not open the overlay.
            if (runas) { runas = false; continue; }
            if (arg.equals("-runas")) { runas = true; continue; }
            Matcher t = Pattern.compile("ifname=([^,]+)").matcher(arg);
            if (t.find()) oldTap = t.group(1);
            String s = arg.replace(vmDir, dir.toString()).replace("hangar-" + vmId, "bench-bare-" + i);
            s = MAC.matcher(s).replaceAll("mac=" + mac);
            if (oldTap != null) s = s.replace("ifname=" + oldTap, "ifname=" + tap);
            mine.add(s);
        }
        if (mine.stream().anyMatch(s -> s.contains(vmDir))) throw new IllegalStateException("argv still names " + vmDir);
        Files.writeString(dir.resolve("qemu.argv"), String.join("\n", mine) + "\n");
        long t0 = System.nanoTime();
        // Hangar's QEMU stays in the foreground (no -daemonize): the process runs until it is ended below.
        Process q = new ProcessBuilder(mine).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        double started = -1, lease = -1;
        String ip = null;
        try {
            while (true) {
                if (System.nanoTime() - t0 > LIMIT_NS) {
                    throw new IllegalStateException("bare QEMU " + i + " on " + lan.bridge() + " not answering after 120 s: "
                            + (ip == null ? "no lease for " + mac : ip + " does not answer HTTP"));
                }
                if (!q.isAlive()) throw new IllegalStateException("bare QEMU " + i + " exited " + q.exitValue() + ": " + Files.readString(dir.resolve("qemu.out")));
                if (started < 0 && Files.exists(dir.resolve("qemu.pid"))) started = ms(t0);
                if (ip == null) {
                    Optional<String> l = leaseFor(lan.leases(), mac);
                    if (l.isPresent()) { ip = l.get(); lease = ms(t0); }
                }
                if (ip != null && answers(ip)) return new Run(started, lease, lease, ms(t0), ip);
                Thread.sleep(POLL_MS);
            }
        } finally {
            q.destroy();
            if (!q.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) q.destroyForcibly().waitFor();
            run("ip", "link", "delete", tap);
            if (ip != null) run("dhcp_release", lan.bridge(), ip, mac);
        }
    }

    static boolean answers(String ip) {
        try {
            HttpResponse<String> r = guest.send(HttpRequest.newBuilder(URI.create("http://" + ip + "/"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("hangar-guest-ok");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** dnsmasq's lease file: "expiry mac ip hostname clientid". */
    static Optional<String> leaseFor(String mac) throws IOException {
        return leaseFor(leases, mac);
    }

    static Optional<String> leaseFor(Path file, String mac) throws IOException {
        if (!Files.exists(file)) return Optional.empty();
        for (String line : Files.readAllLines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[1].equalsIgnoreCase(mac)) return Optional.of(f[2]);
        }
        return Optional.empty();
    }

    static String backingOf(Path clone) throws Exception {
        String info = run("qemu-img", "info", "-U", "--output=json", clone.toString());
        Matcher m = Pattern.compile("\"full-backing-filename\"\\s*:\\s*\"([^\"]+)\"").matcher(info);
        if (!m.find()) throw new IllegalStateException("no backing file in " + info);
        return m.group(1);
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        return out;
    }

    static String post(String body) throws Exception {
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(base + "/vms"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) throw new IllegalStateException("POST: " + r.statusCode() + " " + r.body());
        return field(ID, r.body());
    }

    static void delete(String id) throws Exception {
        HttpResponse<String> r = api("DELETE", "/vms/" + id);
        if (r.statusCode() != 204) throw new IllegalStateException("DELETE " + id + ": " + r.statusCode() + " " + r.body());
    }

    static HttpResponse<String> api(String method, String path) throws Exception {
        return api.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String field(Pattern p, String json) {
        Matcher m = p.matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + p + " in " + json);
        return m.group(1);
    }

    static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
