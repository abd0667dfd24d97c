// POST /vms -> 202 latency with a cached image.
// Usage: java bench/PostLatency.java BASE_URL IMAGE_URL SHA256 N [DATA_DIR for an fsync probe]
// Warms the image cache with one create (waits until the VM left "creating", then deletes it), then
// times N sequential POSTs (send to full response), each followed by an untimed DELETE of that VM.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class PostLatency {
    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([^\"]+)\"");
    static HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static String base;

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String field(Pattern p, String json) {
        Matcher m = p.matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + p + " in " + json);
        return m.group(1);
    }

    static double pct(double[] sorted, double p) {
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1; // nearest rank
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    public static void main(String[] args) throws Exception {
        base = args[0];
        String body = "{\"cpus\":1,\"memory\":\"256mib\",\"network_type\":\"nat\",\"image\":{\"url\":\"" + args[1]
                + "\",\"checksum\":\"" + args[2] + "\",\"checksum_type\":\"sha256\"}}";
        int n = Integer.parseInt(args[3]);

        long w0 = System.nanoTime();
        HttpResponse<String> warm = send("POST", "/vms", body);
        if (warm.statusCode() != 202) throw new IllegalStateException("warm-up POST: " + warm.statusCode() + " " + warm.body());
        String wid = field(ID, warm.body());
        String status;
        do {
            Thread.sleep(50);
            status = field(STATUS, send("GET", "/vms/" + wid, null).body());
        } while (status.equals("creating") && System.nanoTime() - w0 < 120_000_000_000L);
        System.out.printf("warm-up create: image fetched and VM %s after %.0f ms%n", status, (System.nanoTime() - w0) / 1e6);
        if (!status.equals("powered-on")) throw new IllegalStateException("warm-up VM ended " + status);
        send("DELETE", "/vms/" + wid, null);

        double[] t = new double[n];
        double deleteTotal = 0;
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = send("POST", "/vms", body);
            t[i] = (System.nanoTime() - t0) / 1e6;
            if (r.statusCode() != 202) throw new IllegalStateException("POST " + i + ": " + r.statusCode() + " " + r.body());
            long d0 = System.nanoTime();
            HttpResponse<String> d = send("DELETE", "/vms/" + field(ID, r.body()), null);
            deleteTotal += (System.nanoTime() - d0) / 1e6;
            if (d.statusCode() != 204) throw new IllegalStateException("DELETE " + i + ": " + d.statusCode() + " " + d.body());
        }
        double[] s = t.clone();
        Arrays.sort(s);
        System.out.printf("POST /vms -> 202, %d sequential requests: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms  [target p99 <= 20 ms: %s]%n",
                n, pct(s, 50), pct(s, 90), pct(s, 99), s[n - 1], pct(s, 99) <= 20 ? "meets" : "misses");
        System.out.printf("  first request %.1f ms; p99 of requests 11..%d: %.1f ms; untimed DELETEs averaged %.0f ms%n",
                t[0], n, pct(Arrays.stream(t, Math.min(10, n - 1), n).sorted().toArray(), 99), deleteTotal / n);
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> Double.compare(t[y], t[x]));
        StringBuilder slow = new StringBuilder();
        for (int i = 0; i < Math.min(5, n); i++) slow.append(String.format(" #%d %.1f ms;", idx[i] + 1, t[idx[i]]));
        double[] g = new double[n]; // reference: a read-only request through the same server and database
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = send("GET", "/vms/" + java.util.UUID.randomUUID(), null);
            g[i] = (System.nanoTime() - t0) / 1e6;
            if (r.statusCode() != 404) throw new IllegalStateException("GET unknown VM: " + r.statusCode());
        }
        Arrays.sort(g);
        System.out.printf("  for reference, GET /vms/<unknown id> -> 404 (no write): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                pct(g, 50), pct(g, 99), g[n - 1]);
        if (args.length > 4) { // reference: the disk's fsync latency (SQLite commits with synchronous=FULL on the POST path)
            java.nio.file.Path f = java.nio.file.Path.of(args[4], "bench-fsync-probe");
            double[] fs = new double[n];
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.DELETE_ON_CLOSE)) {
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    ch.write(java.nio.ByteBuffer.allocate(4096), (long) i * 4096);
                    ch.force(false);
                    fs[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(fs);
            System.out.printf("  for reference, 4 KiB write + fdatasync in the data dir: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    pct(fs, 50), pct(fs, 99), fs[n - 1]);
        }
        System.out.printf("  five slowest (request number, time):%s%n", slow);
    }
}
