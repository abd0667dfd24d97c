// create -> guest answering over HTTP on its own address: warm starts (restored from a memory template
// of the image, then re-identified) against cold boots, in one run, alternating. Runs inside the
// benchmark's network namespace, next to a service in bridge mode. Usage:
//   java bench/WarmBench.java BASE_URL IMAGE_URL SHA256 DATA_DIR RUNS
// 1. A warm-up cold create fetches the image; its key comes from GET /images. PUT /images/KEY/warm
//    {"enabled": true} builds the template of the default shape; polled until it is ready (timed).
// 2. RUNS times, alternating: cold (the image marked cold for the create: PUT enabled false, POST,
//    then marked warm again, untimed) and warm (POST). Each is clocked from the POST until GET
//    http://IP/ answers hangar-guest-ok, IP polled from GET /vms/ID; all polls every 20 ms; each VM is
//    checked to have started as asked ("start") and deleted afterwards, untimed.
// 3. Two warm creates at once: both clocked to their answers; their MACs, addresses, hostnames (from
//    their pages) and VM generation ids (from qemu.cmdline) must all differ. With them and one cold VM
//    running: each QEMU's resident memory (VmRSS) and of it the pages it owns alone (RssAnon; a warm
//    clone's shared template pages are RssFile).
// 4. The pool (size 1): RUNS creates, each after the pool has its spare again, clocked the same way.
// Every wait has a limit (120 s a VM, 300 s the template) that fails the run, saying which.
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class WarmBench {
    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern IP = Pattern.compile("\"ip_address\"\\s*:\\s*\"([^\"]*)\"");
    static final Pattern START = Pattern.compile("\"start\"\\s*:\\s*\"([^\"]*)\"");
    static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern MAC = Pattern.compile("mac=([0-9a-fA-F:]{17})");
    static final Pattern GUID = Pattern.compile("vmgenid,guid=([0-9a-f-]+)");
    static final long POLL_MS = 20;
    static final HttpClient api = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** Short: a connection begun before the guest configured its address waits for an ARP retry (1 s); a new one does not. */
    static final HttpClient guest = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(100)).build();
    static String base, body;
    static Path data;

    record Answer(String id, double ms, String ip, String page, double apiMs) {}

    public static void main(String[] a) throws Exception {
        base = a[0];
        body = "{\"image\": {\"url\": \"" + a[1] + "\", \"checksum\": \"" + a[2] + "\", \"checksum_type\": \"sha256\"}}";
        data = Path.of(a[3]);
        int runs = Integer.parseInt(a[4]);

        Answer first = create("cold");
        delete(first.id());
        String key = field(KEY, api("GET", "/images", null).body());
        long t0 = System.nanoTime();
        api("PUT", "/images/" + key + "/warm", "{\"enabled\": true}");
        while (true) {
            String image = api("GET", "/images/" + key, null).body();
            if (image.contains("\"state\":\"ready\"")) break;
            if (image.contains("\"state\":\"failed\"")) throw new IllegalStateException("the template failed: " + image);
            if (System.nanoTime() - t0 > 300_000_000_000L) throw new IllegalStateException("no template within 300 s: " + image);
            Thread.sleep(100);
        }
        System.out.printf("template of the default shape (1 cpu, 256 MiB): built in %.0f ms (boot, agent, 2 s settle, capture)%n", ms(t0));

        double[] cold = new double[runs], warm = new double[runs];
        for (int i = 0; i < runs; i++) {
            api("PUT", "/images/" + key + "/warm", "{\"enabled\": false}");
            Answer c = create("cold");
            api("PUT", "/images/" + key + "/warm", "{\"enabled\": true}");
            delete(c.id());
            Answer w = create("warm");
            delete(w.id());
            cold[i] = c.ms();
            warm[i] = w.ms();
            System.out.printf("run %d: cold %.0f ms (address in the API at %.0f), warm %.0f ms (address in the API at %.0f)%n", i + 1, cold[i],
                    c.apiMs(), warm[i], w.apiMs());
        }
        double mc = median(cold), mw = median(warm);
        System.out.printf("create -> answering on its own address (median of %d): cold %.0f ms, warm %.0f ms%n", runs, mc, mw);
        System.out.printf("warm restore median %.0f ms: target <= 1000 ms: %s%n", mw, mw <= 1000 ? "meets" : "misses");
        System.out.printf("warm / cold = %.2f: target <= 0.20: %s%n", mw / mc, mw / mc <= 0.2 ? "meets" : "misses");

        // Two at once, and their identities.
        long t1 = System.nanoTime();
        String idA = post(), idB = post();
        Answer x = await(idA, t1, "warm"), y = await(idB, t1, "warm");
        System.out.printf("two warm creates at once: both answering after %.0f ms and %.0f ms%n", x.ms(), y.ms());
        String cmdA = Files.readString(data.resolve("vms").resolve(idA).resolve("qemu.cmdline"));
        String cmdB = Files.readString(data.resolve("vms").resolve(idB).resolve("qemu.cmdline"));
        String macA = field(MAC, cmdA), macB = field(MAC, cmdB), guidA = field(GUID, cmdA), guidB = field(GUID, cmdB);
        System.out.printf("  A: mac %s ip %s \"%s\" vmgenid %s%n  B: mac %s ip %s \"%s\" vmgenid %s%n", macA, x.ip(), x.page(), guidA,
                macB, y.ip(), y.page(), guidB);
        boolean distinct = !macA.equals(macB) && !x.ip().equals(y.ip()) && !x.page().equals(y.page()) && !guidA.equals(guidB);
        System.out.println("  MACs, addresses, hostnames and generation ids all differ: " + (distinct ? "yes" : "NO"));
        api("PUT", "/images/" + key + "/warm", "{\"enabled\": false}");
        String idC = create("cold").id();
        System.out.println("memory (each QEMU, with the guest booted and answering):");
        for (String[] vm : new String[][] {{"warm A", idA}, {"warm B", idB}, {"cold", idC}}) {
            long pid = Long.parseLong(Files.readString(data.resolve("vms").resolve(vm[1]).resolve("qemu.pid")).strip());
            String status = Files.readString(Path.of("/proc", String.valueOf(pid), "status"));
            System.out.printf("  %-6s VmRSS %5d MiB, of it its own (RssAnon) %4d MiB, file pages (RssFile: QEMU's own, and a clone's template pages) %4d MiB%n",
                    vm[0], kib(status, "VmRSS") / 1024, kib(status, "RssAnon") / 1024, kib(status, "RssFile") / 1024);
        }
        for (String id : List.of(idA, idB, idC)) delete(id);

        // The pool: one spare made ahead; each create takes it (clocked as above), the next waits for the refill.
        api("PUT", "/images/" + key + "/warm", "{\"enabled\": true, \"pool\": 1}");
        double[] pool = new double[runs];
        for (int i = 0; i < runs; i++) {
            awaitPool(key);
            Answer p = create("warm");
            pool[i] = p.ms();
            delete(p.id());
            System.out.printf("pool run %d: %.0f ms (address in the API at %.0f)%n", i + 1, pool[i], p.apiMs());
        }
        awaitPool(key);
        api("PUT", "/images/" + key + "/warm", "{\"enabled\": true, \"pool\": 0}");
        double mp = median(pool);
        System.out.printf("pool hand-out median %.0f ms: target <= 300 ms: %s; pool / cold = %.2f%n", mp, mp <= 300 ? "meets" : "misses", mp / mc);
        if (!distinct) System.exit(1);
    }

    /** Until the image's pool has its spare again (made in the background after each take). */
    static void awaitPool(String key) throws Exception {
        long t0 = System.nanoTime();
        while (!api("GET", "/images/" + key, null).body().contains("\"pool_ready\":1")) {
            if (System.nanoTime() - t0 > 120_000_000_000L) throw new IllegalStateException("no pool spare within 120 s");
            Thread.sleep(100);
        }
    }

    static long kib(String status, String field) {
        Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+) kB").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static Answer create(String expected) throws Exception {
        long t0 = System.nanoTime();
        return await(post(), t0, expected);
    }

    static Answer await(String id, long t0, String expected) throws Exception {
        String ip = "";
        double apiMs = -1;
        while (true) {
            if (System.nanoTime() - t0 > 120_000_000_000L) throw new IllegalStateException("VM " + id + " not answering after 120 s");
            if (ip.isEmpty()) {
                String vm = api("GET", "/vms/" + id, null).body();
                if (field(STATUS, vm).equals("error")) throw new IllegalStateException("VM failed: " + vm);
                ip = field(IP, vm);
                if (!ip.isEmpty()) {
                    apiMs = ms(t0);
                    Matcher s = START.matcher(vm);
                    String start = s.find() ? s.group(1) : "";
                    if (!start.equals(expected)) throw new IllegalStateException("VM " + id + " started " + start + ", not " + expected + ": " + vm);
                }
            }
            if (!ip.isEmpty()) {
                String page = page(ip);
                if (page != null) return new Answer(id, ms(t0), ip, page.strip(), apiMs);
            }
            Thread.sleep(POLL_MS);
        }
    }

    static String page(String ip) {
        try {
            HttpResponse<String> r = guest.send(HttpRequest.newBuilder(URI.create("http://" + ip + "/"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("hangar-guest-ok") ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static String post() throws Exception {
        HttpResponse<String> r = api("POST", "/vms", body);
        if (r.statusCode() != 202) throw new IllegalStateException("POST: " + r.statusCode() + " " + r.body());
        return field(ID, r.body());
    }

    static void delete(String id) throws Exception {
        HttpResponse<String> r = api("DELETE", "/vms/" + id, null);
        if (r.statusCode() != 204) throw new IllegalStateException("DELETE " + id + ": " + r.statusCode() + " " + r.body());
    }

    static HttpResponse<String> api(String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (json != null) b.header("Content-Type", "application/json");
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        HttpResponse<String> r = api.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        return r;
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
