// Linked clone vs full copy of a gold image, with the product's own Qcow2Overlay.create.
// Usage: java -cp hangar.jar bench/CloneBench.java WORKDIR RUNS COPY_RUNS GOLD...
// Prints per gold: clone median/max over RUNS (after 3 untimed warm-up clones), full copy
// (Files.copy + fsync) median over COPY_RUNS, and the ratios the targets ask for.
import dev.hangar.images.Qcow2Overlay;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class CloneBench {
    static double ms(long ns) { return ns / 1e6; }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double max(double[] v) { return Arrays.stream(v).max().orElse(Double.NaN); }

    static String verdict(boolean ok) { return ok ? "meets" : "misses"; }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        int copyRuns = Integer.parseInt(args[2]);
        List<Path> golds = new ArrayList<>();
        for (int i = 3; i < args.length; i++) golds.add(Path.of(args[i]));
        Files.createDirectories(work);
        int n = golds.size();
        Path[] clones = new Path[n];
        for (int g = 0; g < n; g++) clones[g] = work.resolve("clone" + g + ".qcow2");
        for (int i = 0; i < 3; i++) { // warm-up: class loading, JIT, page cache of the golds' headers
            for (int g = 0; g < n; g++) {
                Files.deleteIfExists(clones[g]);
                Qcow2Overlay.create(golds.get(g), clones[g]);
            }
        }
        // The golds alternate run by run, so drift in machine load hits both alike.
        double[][] c = new double[n][runs];
        double[][] bare = new double[n][runs];
        for (int i = 0; i < runs; i++) {
            for (int g = 0; g < n; g++) {
                Files.deleteIfExists(clones[g]);
                long t0 = System.nanoTime();
                Qcow2Overlay.create(golds.get(g), clones[g]);
                c[g][i] = ms(System.nanoTime() - t0);
            }
            for (int g = 0; g < n; g++) { // the same qemu-img command without the product around it
                Files.deleteIfExists(clones[g]);
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", "-b", golds.get(g).toAbsolutePath().toString(),
                        "-F", "qcow2", clones[g].toAbsolutePath().toString()).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() != 0) throw new IllegalStateException("qemu-img create failed");
                bare[g][i] = ms(System.nanoTime() - t0);
            }
        }
        for (int g = 0; g < n; g++) Files.deleteIfExists(clones[g]);
        double[] cloneMedians = new double[n];
        for (int g = 0; g < n; g++) {
            Path gold = golds.get(g);
            Path copy = work.resolve("copy.qcow2");
            double[] f = new double[copyRuns];
            for (int i = 0; i < copyRuns; i++) {
                Files.deleteIfExists(copy);
                long t0 = System.nanoTime();
                Files.copy(gold, copy);
                try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) { ch.force(true); }
                f[i] = ms(System.nanoTime() - t0);
            }
            Files.deleteIfExists(copy);
            cloneMedians[g] = median(c[g]);
            double ratio = median(f) / median(c[g]);
            System.out.printf("gold %s (%d MiB file):%n", gold.getFileName(), Files.size(gold) >> 20);
            System.out.printf("  linked clone (Qcow2Overlay.create), %d runs: median %.1f ms, max %.1f ms  [target <= 50 ms: median %s, max %s]%n",
                    runs, median(c[g]), max(c[g]), verdict(median(c[g]) <= 50), verdict(max(c[g]) <= 50));
            System.out.printf("  for reference, bare `qemu-img create -b` from Java: median %.1f ms, max %.1f ms%n", median(bare[g]), max(bare[g]));
            System.out.printf("  full copy (Files.copy + fsync), %d runs: median %.1f ms, max %.1f ms%n", copyRuns, median(f), max(f));
            System.out.printf("  copy / clone (medians): %.1fx  [target >= 20x: %s]%n", ratio, verdict(ratio >= 20));
            System.out.printf("  all clone times (ms): %s%n", Arrays.toString(Arrays.stream(c[g]).map(x -> Math.round(x * 10) / 10.0).toArray()));
        }
        if (golds.size() == 2) {
            double r = cloneMedians[0] / cloneMedians[1];
            System.out.printf("clone %s / clone %s (medians): %.2f  [target <= 1.5: %s]%n",
                    golds.get(0).getFileName(), golds.get(1).getFileName(), r, verdict(r <= 1.5));
        }
    }
}
