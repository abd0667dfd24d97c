// Builds a minimal Debian 12 base image with the product's DebianImageBuilder, once, timed; prints the
// build time, the raw image's size and the bytes it takes on disk, and the size of its kvm (qcow2)
// target. Called by BuildBench.java ("debian").
import dev.hangar.builds.debian.DebianImageBuilder;
import dev.hangar.builds.targets.TargetWriter;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.Tdl;
import dev.hangar.core.builds.BuildProgress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

final class DebianBench {
    static final String MINIMAL = "<template><name>minimal</name><os><name>Debian</name><version>12</version><arch>x86_64</arch>"
            + "<install type='url'><url>http://deb.debian.org/debian</url></install><rootpw>bench</rootpw></os></template>";

    private DebianBench() {}

    static void run(Path work, String aptProxy) throws Exception {
        ImageTemplate t = Tdl.parse(MINIMAL);
        DebianImageBuilder builder = new DebianImageBuilder(aptProxy == null ? null : URI.create(aptProxy));
        Path out = work.resolve("minimal.raw");
        Path scratch = Files.createDirectories(work.resolve("scratch"));
        int[] last = {-1};
        BuildProgress progress = new BuildProgress() {
            @Override
            public void report(int percent, String activity) {
                if (percent / 10 != last[0] / 10) System.out.printf("  %3d %% %s%n", percent, activity);
                last[0] = percent;
            }

            @Override
            public boolean cancelled() { return false; }
        };
        long t0 = System.nanoTime();
        builder.build(t, out, scratch, progress);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Process du = new ProcessBuilder("du", "-B1", out.toString()).start();
        long allocated = Long.parseLong(new String(du.getInputStream().readAllBytes()).split("\\s+")[0]);
        Path qcow = new TargetWriter().convert(out, "kvm", "minimal", Files.createDirectories(work.resolve("kvm")), progress);
        System.out.printf("minimal Debian 12 base image: built in %.0f s; raw %d MiB (%d MiB on disk); kvm target (qcow2) %d MiB%n",
                seconds, Files.size(out) >> 20, allocated >> 20, Files.size(qcow) >> 20);
    }
}
