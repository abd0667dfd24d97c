// create -> guest answering over HTTP, the same request against two services: A (--driver qemu) and
// B (--driver libvirt). Usage:
//   java bench/DriverBench.java BASE_A BASE_B IMAGE_URL SHA256 RUNS
// One warm-up create on each (fetches the image into each service's cache). Then RUNS times,
// alternating A and B: POST /vms, poll GET /vms/ID every 20 ms until ip_address is set, then GET
// http://IP/ every 20 ms until it says hangar-guest-ok; the clock runs from the POST. Each VM is
// deleted (untimed) before the next run. Medians, and the ratio B/A taken pair by pair.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class DriverBench {
    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern IP = Pattern.compile("\"ip_address\"\\s*:\\s*\"([^\"]*)\"");
    static final HttpClient api = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final HttpClient guest = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(500)).build();

    public static void main(String[] a) throws Exception {
        String body = "{\"network_type\":\"nat\",\"image\":{\"url\":\"" + a[2] + "\",\"checksum\":\"" + a[3] + "\",\"checksum_type\":\"sha256\"}}";
        int runs = Integer.parseInt(a[4]);
        System.out.printf("warm-up: qemu %.0f ms, libvirt %.0f ms (image fetched)%n", once(a[0], body), once(a[1], body));
        List<Double> q = new ArrayList<>(), l = new ArrayList<>(), ratio = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            double tq = once(a[0], body);
            double tl = once(a[1], body);
            q.add(tq);
            l.add(tl);
            ratio.add(tl / tq);
            System.out.printf("  run %d: --driver qemu %.0f ms, --driver libvirt %.0f ms%n", i, tq, tl);
        }
        System.out.printf("create -> IP answering: qemu median %.0f ms, libvirt median %.0f ms, libvirt/qemu (pairwise median) %.2f%n",
                median(q), median(l), median(ratio));
    }

    static double once(String base, String body) throws Exception {
        long t0 = System.nanoTime();
        String created = api.send(HttpRequest.newBuilder(URI.create(base + "/vms")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = ID.matcher(created);
        if (!m.find()) throw new IllegalStateException("no id in " + created);
        String id = m.group(1);
        String ip = "";
        while (ip.isEmpty()) {
            if (System.nanoTime() - t0 > 180_000_000_000L) throw new IllegalStateException("no address for " + id);
            Thread.sleep(20);
            Matcher im = IP.matcher(api.send(HttpRequest.newBuilder(URI.create(base + "/vms/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            if (im.find()) ip = im.group(1);
        }
        while (true) {
            try {
                String page = guest.send(HttpRequest.newBuilder(URI.create("http://" + ip + "/")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (page.startsWith("hangar-guest-ok")) break;
            } catch (java.io.IOException notYet) {
                // httpd not up yet
            }
            Thread.sleep(20);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        api.send(HttpRequest.newBuilder(URI.create(base + "/vms/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        return ms;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
