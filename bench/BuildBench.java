// Target conversion throughput: the product's TargetWriter against qemu-img convert alone. Usage:
//   java -cp hangar.jar bench/BuildBench.java convert BASE_RAW WORK_DIR RUNS TARGET...
// For each target: RUNS times, alternating, TargetWriter.convert(BASE_RAW, target) into a fresh
// directory, and the bare `qemu-img convert -O FORMAT` of the same file (qcow2 for kvm, vhdx for
// hyperv, vmdk streamOptimized for vmware); the clock runs around each whole call. Throughput is
// the base image's virtual size over the median time; the ratio is taken pair by pair.
//
//   java -cp hangar.jar bench/BuildBench.java debian WORK_DIR [APT_PROXY]
// Builds the minimal Debian 12 template below with DebianImageBuilder (packages from the host's apt
// sources, or through the proxy) once, timed, and prints the raw image's size and allocated bytes.
import dev.hangar.builds.targets.TargetWriter;
import dev.hangar.core.builds.BuildProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

public class BuildBench {
    static final Map<String, List<String>> BARE = Map.of(
            "kvm", List.of("-O", "qcow2"),
            "hyperv", List.of("-O", "vhdx"),
            "vmware", List.of("-O", "vmdk", "-o", "subformat=streamOptimized"),
            "raw", List.of("-O", "raw"));

    static final BuildProgress QUIET = new BuildProgress() {
        @Override public void report(int percent, String activity) { }
        @Override public boolean cancelled() { return false; }
    };

    public static void main(String[] a) throws Exception {
        if (a[0].equals("convert")) convert(Path.of(a[1]), Path.of(a[2]), Integer.parseInt(a[3]), List.of(a).subList(4, a.length));
        else if (a[0].equals("debian")) DebianBench.run(Path.of(a[1]), a.length > 2 ? a[2] : null);
        else throw new IllegalArgumentException("convert or debian");
    }

    static void convert(Path base, Path work, int runs, List<String> targets) throws Exception {
        double mib = Files.size(base) / 1048576.0;
        TargetWriter writer = new TargetWriter();
        for (String target : targets) {
            List<Double> ours = new ArrayList<>(), bare = new ArrayList<>(), ratio = new ArrayList<>();
            for (int i = 0; i <= runs; i++) { // run 0 warms up
                Path dirA = Files.createDirectories(work.resolve(target + "-a-" + i));
                long t0 = System.nanoTime();
                writer.convert(base, target, "bench", dirA, QUIET);
                double ta = (System.nanoTime() - t0) / 1e9;
                Path dirB = Files.createDirectories(work.resolve(target + "-b-" + i));
                List<String> argv = new ArrayList<>(List.of("qemu-img", "convert", "-f", "raw"));
                argv.addAll(BARE.getOrDefault(target, BARE.get("kvm")));
                argv.addAll(List.of(base.toString(), dirB.resolve("bare").toString()));
                long t1 = System.nanoTime();
                Process p = new ProcessBuilder(argv).inheritIO().start();
                if (p.waitFor() != 0) throw new IllegalStateException("qemu-img failed: " + argv);
                double tb = (System.nanoTime() - t1) / 1e9;
                delete(dirA);
                delete(dirB);
                if (i == 0) continue;
                ours.add(ta);
                bare.add(tb);
                ratio.add(ta / tb);
                System.out.printf("  %s run %d: TargetWriter %.2f s, qemu-img convert %.2f s%n", target, i, ta, tb);
            }
            System.out.printf("%s: %.0f MiB image, TargetWriter %.0f MiB/s, qemu-img convert alone %.0f MiB/s, TargetWriter/qemu-img time (pairwise median) %.2f%n",
                    target, mib, mib / median(ours), mib / median(bare), median(ratio));
        }
    }

    static void delete(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Collections.reverseOrder()).toList()) Files.delete(p);
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
