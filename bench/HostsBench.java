// The hosts face's two figures. Usage:
//   java bench/HostsBench.java BASE_URL INSTALL_TREE_URL DATA_DIR WORK_DIR N RUNS
// A. N times: POST /hosts/bench-a-I {"memory": 64, "disks": [100, 100, 100], "networks": ["nat"],
//    "install": false} timed to its 201 (after one warm-up), then an untimed DELETE. p50, p99, max.
// B. A warm-up install takes the installer's QEMU argv from /proc/PID/cmdline. Then RUNS times,
//    alternating: Hangar (POST /hosts/bench-b-I with install, clock from the POST, stop at the first
//    "hangar-installer: starting" in DATA/vms/ID/serial.log, read every 20 ms) and bare QEMU (that argv
//    with the VM's directory swapped for a fresh one holding fresh blank disks, its own -name; clock
//    from the launch, stop at the same line in its serial.log). Medians and the ratio.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class HostsBench {
    static final HttpClient api = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final Pattern UUID_FIELD = Pattern.compile("\"uuid\"\\s*:\\s*\"([^\"]+)\"");
    static final String FIRST_LINE = "hangar-installer: starting";
    static final String CMDLINE = "console=ttyS0 quiet cryptomgr.notests tsc_early_khz=2000000";
    static String base;
    static Path data;

    public static void main(String[] a) throws Exception {
        base = a[0];
        String tree = a[1];
        data = Path.of(a[2]);
        Path work = Path.of(a[3]);
        int n = Integer.parseInt(a[4]);
        int runs = Integer.parseInt(a[5]);

        // A.
        String blank = "{\"memory\": 64, \"disks\": [100, 100, 100], \"networks\": [\"nat\"], \"install\": false}";
        send("POST", "/hosts/bench-a-warm", blank, 201);
        send("DELETE", "/hosts/bench-a-warm", null, 204);
        List<Double> creates = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            send("POST", "/hosts/bench-a-" + i, blank, 201);
            creates.add((System.nanoTime() - t0) / 1e6);
            send("DELETE", "/hosts/bench-a-" + i, null, 204);
        }
        Collections.sort(creates);
        double p99 = creates.get((int) Math.ceil(0.99 * creates.size()) - 1);
        System.out.printf("A. POST /hosts with three 100 GB disks, %d times: p50 %.1f ms, p99 %.1f ms, max %.1f ms  [target p99 <= 100 ms: %s]%n",
                n, creates.get(creates.size() / 2), p99, creates.getLast(), p99 <= 100 ? "meets" : "misses");

        // B.
        String install = "{\"memory\": 256, \"disks\": [1], \"networks\": [\"nat\"], \"install\": true, \"location\": \"" + tree
                + "\", \"cmdline\": \"" + CMDLINE + "\"}";
        long w0 = System.nanoTime();
        send("POST", "/hosts/bench-b-warm", install, 201);
        String id = uuid("bench-b-warm");
        Path vmDir = data.resolve("vms").resolve(id);
        awaitLine(vmDir.resolve("serial.log"), w0);
        long pid = Long.parseLong(Files.readString(vmDir.resolve("qemu.pid")).strip());
        List<String> argv = new ArrayList<>(Arrays.asList(
                new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).split("\0")));
        send("DELETE", "/hosts/bench-b-warm", null, 204);
        List<Double> hangar = new ArrayList<>(), bare = new ArrayList<>(), ratios = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            long t0 = System.nanoTime();
            send("POST", "/hosts/bench-b-" + i, install, 201);
            double h = awaitLine(data.resolve("vms").resolve(uuid("bench-b-" + i)).resolve("serial.log"), t0);
            send("DELETE", "/hosts/bench-b-" + i, null, 204);

            int run = i;
            Path dir = Files.createDirectories(work.resolve("bare-" + i));
            run(List.of("qemu-img", "create", "-q", "-f", "qcow2", dir.resolve("blank0.qcow2").toString(), "1G"));
            List<String> mine = argv.stream().map(s -> s.replace(vmDir.toString(), dir.toString())
                    .replace("hangar-" + id, "bench-bare-" + run)).toList();
            long b0 = System.nanoTime();
            run(mine);
            double b = awaitLine(dir.resolve("serial.log"), b0);
            ProcessHandle.of(Long.parseLong(Files.readString(dir.resolve("qemu.pid")).strip())).ifPresent(ProcessHandle::destroyForcibly);
            hangar.add(h);
            bare.add(b);
            ratios.add(h / b);
            System.out.printf("  run %d: hangar %.0f ms, bare QEMU %.0f ms%n", i, h, b);
        }
        System.out.printf("B. POST -> the installer's first console line: hangar median %.0f ms, bare QEMU median %.0f ms, ratio (pairwise median) %.2f%n",
                median(hangar), median(bare), median(ratios));
    }

    static double awaitLine(Path log, long t0) throws Exception {
        while (System.nanoTime() - t0 < 120_000_000_000L) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains(FIRST_LINE)) {
                return (System.nanoTime() - t0) / 1e6;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no \"" + FIRST_LINE + "\" in " + log + " within 120 s");
    }

    static String uuid(String host) throws Exception {
        Matcher m = UUID_FIELD.matcher(send("GET", "/hosts/" + host, null, 200));
        if (!m.find()) throw new IllegalStateException("no uuid for " + host);
        return m.group(1);
    }

    static String send(String method, String path, String body, int expect) throws Exception {
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(base + path)).method(method, p).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expect) throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }

    static void run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(argv.getFirst() + " failed: " + out);
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
