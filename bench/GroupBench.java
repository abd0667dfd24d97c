// Groups against sequential creates, and the reconciler's idle cost. Usage:
//   java bench/GroupBench.java BASE IMAGE_URL SHA256 SERVICE_PID IDLE_SECONDS
// One warm-up create fetches the image into the cache (and is deleted). Then:
//  A1. 10 sequential creates through POST /vms, each polled (GET /vms/ID every 50 ms) until it has an
//      address and its guest answers GET http://IP/, before the next POST; the clock runs from the
//      first POST to the tenth answer.
//  B1. with those 10 VMs running and nothing else happening, the service's CPU (utime + stime of
//      /proc/PID/stat) over IDLE_SECONDS.
//  Then the 10 are deleted (untimed).
//  A2. POST /groups {size: 10} from a template of the same settings; the clock runs until
//      GET /groups/bench (every 50 ms) shows 10 members ready and every guest answers GET http://IP/.
//  B2. the same CPU measure with the steady group of 10.
//  A3. the same group from a template with "warm": {"enabled": true, "pool": 10}: once the image's
//      pool holds 10 spares (made untimed, as pools are made ahead), POST /groups, clocked as A2.
// Prints A1, A2, the ratio A2/A1, B1, B2 and the ratio B2/B1, A3 and the ratio A3/A1.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class GroupBench {
    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern IP = Pattern.compile("\"ip_address\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern READY = Pattern.compile("\"ready\"\\s*:\\s*(\\d+)");
    static final HttpClient api = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final HttpClient guest = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(500)).build();
    static final int N = 10;
    static String base;

    public static void main(String[] a) throws Exception {
        base = a[0];
        String image = "{\"url\":\"" + a[1] + "\",\"checksum\":\"" + a[2] + "\",\"checksum_type\":\"sha256\"}";
        long pid = Long.parseLong(a[3]);
        int idle = Integer.parseInt(a[4]);
        String vm = "{\"memory\":\"256mib\",\"image\":" + image + "}";

        long w = System.nanoTime();
        String warm = create(vm);
        answering(awaitIp(warm));
        delete("/vms/" + warm);
        System.out.printf("warm-up: %.0f ms (image fetched)%n", (System.nanoTime() - w) / 1e6);

        long t0 = System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            String id = create(vm);
            answering(awaitIp(id));
            ids.add(id);
        }
        double sequential = (System.nanoTime() - t0) / 1e6;
        System.out.printf("A1. %d sequential creates, each to its guest answering: %.0f ms (%.0f ms each)%n", N, sequential, sequential / N);
        Thread.sleep(5000); // let the last creations' bookkeeping settle
        double plainCpu = cpuOver(pid, idle);
        System.out.printf("B1. service CPU over %d s with %d plain VMs running: %.2f s (%.2f %% of one core)%n", idle, N, plainCpu, 100 * plainCpu / idle);
        for (String id : ids) delete("/vms/" + id);

        post("/templates", "{\"name\":\"bench\",\"memory\":\"256mib\",\"image\":" + image + "}");
        long t1 = System.nanoTime();
        post("/groups", "{\"name\":\"bench\",\"template\":\"bench\",\"size\":" + N + "}");
        String group;
        do {
            Thread.sleep(50);
            group = get("/groups/bench");
            if (System.nanoTime() - t1 > 600_000_000_000L) throw new IllegalStateException("group not ready: " + group);
        } while (!ready(group));
        Matcher ips = IP.matcher(group);
        int answered = 0;
        while (ips.find()) {
            answering(ips.group(1));
            answered++;
        }
        if (answered != N) throw new IllegalStateException("expected " + N + " member addresses: " + group);
        double grouped = (System.nanoTime() - t1) / 1e6;
        System.out.printf("A2. a group from 0 to %d members, every guest answering: %.0f ms%n", N, grouped);
        System.out.printf("group 0 -> %d against %d sequential creates: %.0f ms vs %.0f ms, ratio %.2f%n", N, N, grouped, sequential, grouped / sequential);
        Thread.sleep(5000);
        double groupCpu = cpuOver(pid, idle);
        System.out.printf("B2. service CPU over %d s with a steady group of %d: %.2f s (%.2f %% of one core)%n", idle, N, groupCpu, 100 * groupCpu / idle);
        System.out.printf("idle CPU, group against plain VMs: %.2f s vs %.2f s, ratio %.2f%n", groupCpu, plainCpu, groupCpu / plainCpu);
        delete("/groups/bench");
        for (int i = 0; i < 600 && !get("/vms").equals("[]"); i++) Thread.sleep(100);
        delete("/templates/bench");

        // A3: the same group from a template that wants its image warm with a pool of N: the spares are
        // made first (untimed, as a pool is made ahead), then the clock runs as in A2.
        String key = field(Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\""), get("/images"));
        post("/templates", "{\"name\":\"bench-warm\",\"memory\":\"256mib\",\"image\":" + image
                + ",\"warm\":{\"enabled\":true,\"pool\":" + N + "}}");
        // The template's wish applies when a member has the image: it is cached already, so a first member's
        // create applies it; here the image is marked at once through the images API with the same settings.
        put("/images/" + key + "/warm", "{\"enabled\":true,\"pool\":" + N + "}");
        long p0 = System.nanoTime();
        while (!get("/images/" + key).contains("\"pool_ready\":" + N)) {
            if (System.nanoTime() - p0 > 600_000_000_000L) throw new IllegalStateException("the pool did not fill: " + get("/images/" + key));
            Thread.sleep(200);
        }
        System.out.printf("pool of %d spares made in %.0f ms (template and spares, untimed for A3)%n", N, (System.nanoTime() - p0) / 1e6);
        long t3 = System.nanoTime();
        post("/groups", "{\"name\":\"bench-warm\",\"template\":\"bench-warm\",\"size\":" + N + "}");
        do {
            Thread.sleep(50);
            group = get("/groups/bench-warm");
            if (System.nanoTime() - t3 > 600_000_000_000L) throw new IllegalStateException("group not ready: " + group);
        } while (!ready(group));
        ips = IP.matcher(group);
        answered = 0;
        while (ips.find()) {
            answering(ips.group(1));
            answered++;
        }
        if (answered != N) throw new IllegalStateException("expected " + N + " member addresses: " + group);
        double warmGroup = (System.nanoTime() - t3) / 1e6;
        System.out.printf("A3. a group from 0 to %d members from a warm template with a pool of %d: %.0f ms%n", N, N, warmGroup);
        System.out.printf("warm group 0 -> %d against %d sequential creates: ratio %.2f: target <= 0.20: %s%n", N, N, warmGroup / sequential,
                warmGroup / sequential <= 0.2 ? "meets" : "misses");
        put("/images/" + key + "/warm", "{\"enabled\":false,\"pool\":0}");
        delete("/groups/bench-warm");
        for (int i = 0; i < 600 && !get("/vms").equals("[]"); i++) Thread.sleep(100);
        delete("/templates/bench-warm");
    }

    static String field(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) throw new IllegalStateException("no " + p + " in " + text);
        return m.group(1);
    }

    static boolean ready(String group) {
        Matcher m = READY.matcher(group);
        return m.find() && Integer.parseInt(m.group(1)) == N;
    }

    /** utime + stime of the process (all its threads), in seconds, over the interval. */
    static double cpuOver(long pid, int seconds) throws Exception {
        double before = cpu(pid);
        Thread.sleep(seconds * 1000L);
        return cpu(pid) - before;
    }

    static double cpu(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // fields 14 and 15: clock ticks of 1/100 s
    }

    static String create(String body) throws Exception {
        Matcher m = ID.matcher(post("/vms", body));
        if (!m.find()) throw new IllegalStateException("no id");
        return m.group(1);
    }

    static String awaitIp(String id) throws Exception {
        long t0 = System.nanoTime();
        while (true) {
            Matcher m = IP.matcher(get("/vms/" + id));
            if (m.find()) return m.group(1);
            if (System.nanoTime() - t0 > 180_000_000_000L) throw new IllegalStateException("no address for " + id);
            Thread.sleep(50);
        }
    }

    static void answering(String ip) throws Exception {
        long t0 = System.nanoTime();
        while (true) {
            try {
                String page = guest.send(HttpRequest.newBuilder(URI.create("http://" + ip + "/")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (page.startsWith("hangar-guest-ok")) return;
            } catch (java.io.IOException notYet) {
                // httpd not up yet
            }
            if (System.nanoTime() - t0 > 120_000_000_000L) throw new IllegalStateException("guest " + ip + " never answered");
            Thread.sleep(50);
        }
    }

    static String post(String path, String body) throws Exception {
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException("POST " + path + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }

    static String put(String path, String body) throws Exception {
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException("PUT " + path + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }

    static String get(String path) throws Exception {
        return api.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static void delete(String path) throws Exception {
        api.send(HttpRequest.newBuilder(URI.create(base + path)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }
}
