// One GoldImageStore.obtain() of an image URL into a fresh images directory, timed.
// Usage: java -cp hangar.jar bench/IngestBench.java IMAGES_DIR URL SHA256
// Prints "obtain_start_epoch_ns N" and "obtain_ms X" (the caller lines these up with the qemu-img shim's log).
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.images.GoldImage;
import dev.hangar.images.GoldImageStore;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

public class IngestBench {
    public static void main(String[] args) {
        // As the service builds its client (ServeCommand).
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(15)).build();
        GoldImageStore store = new GoldImageStore(Path.of(args[0]), 64L << 30, http);
        ImageRef ref = new ImageRef(args[1], args[2], ChecksumType.SHA256);
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        GoldImage gold = store.obtain(ref);
        long t1 = System.nanoTime();
        System.out.println("obtain_start_epoch_ns " + (start.getEpochSecond() * 1_000_000_000L + start.getNano()));
        System.out.printf("obtain_ms %.0f%n", (t1 - t0) / 1e6);
        System.out.println("gold " + gold.disks());
    }
}
