package dev.hangar.builds.targets;

import dev.hangar.builds.BuildErrors;
import dev.hangar.builds.FileCopy;
import dev.hangar.builds.ProgressSpan;
import dev.hangar.core.builds.BuildProgress;
import dev.hangar.core.builds.TargetConverter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.zip.Deflater;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes target images from a raw base disk with qemu-img and packaging of our own.
 *
 * <ul>
 * <li>kvm, openstack-kvm: qcow2, not compressed. qemu-img's compression is single-threaded zlib and
 *     several times slower than the conversion; the qcow2 already leaves out every zero cluster, clients
 *     (Hangar's /vms, OpenStack) convert or copy it as is, and a compressed cluster is rewritten on the
 *     guest's first write anyway. A caller who wants a smaller download can gzip it.</li>
 * <li>raw: a sparse copy (qemu-img leaves holes where the base has zeros).</li>
 * <li>hyperv: a dynamic vhdx.</li>
 * <li>vsphere, vmware: a VMware box, {@code NAME.vmwarevm/{NAME.vmx, NAME.vmdk}} as a tar.gz, the shape
 *     /vms takes. The vmdk is monolithicSparse, which VMware Workstation and Fusion run as it is (a
 *     streamOptimized one must be imported first); the gzip at its fastest level does the compressing.</li>
 * <li>ova: a tar of NAME.ovf, NAME.mf (SHA256 digests) and a streamOptimized NAME-disk1.vmdk, in that order.</li>
 * <li>mock: Image Factory's test target, a few bytes naming the image, at once.</li>
 * </ul>
 *
 * Every file is written under a hidden {@code .NAME...partial} name in the output directory and renamed
 * into place once whole, so the final name never holds a half-written file; scratch files are removed
 * whatever happens.
 */
public final class TargetWriter implements TargetConverter {
    private static final Logger log = LoggerFactory.getLogger(TargetWriter.class);
    private static final int MAX_STEM = 64;
    private static final int SECTOR = 512;

    private final VirtualHardware hardware;

    public TargetWriter() {
        this(VirtualHardware.DEFAULT);
    }

    /** @param hardware what the VMware box and the OVA describe around the disk */
    public TargetWriter(VirtualHardware hardware) {
        this.hardware = hardware;
    }

    @Override
    public Set<String> targets() {
        Set<String> names = new LinkedHashSet<>();
        Arrays.stream(Target.values()).forEach(t -> names.add(t.wireName()));
        return names;
    }

    /**
     * The file stem a name becomes: letters, digits, '.', '_' and '-' kept, anything else '_', no
     * leading dot, at most 64 characters; "image" when nothing is left. Names come from templates
     * ("Debian 12 web"), and the stem ends up in file names, a .vmx and an OVF.
     */
    public static String fileStem(String name) {
        String s = name == null ? "" : name.replaceAll("[^A-Za-z0-9._-]", "_").replaceFirst("^[.]+", "");
        if (s.length() > MAX_STEM) s = s.substring(0, MAX_STEM);
        return s.isEmpty() ? "image" : s;
    }

    /** The file name convert gives the target image of that name. */
    public static String fileName(String target, String name) {
        return fileStem(name) + Target.of(target).extension();
    }

    @Override
    public Path convert(Path base, String targetName, String name, Path outputDir, BuildProgress progress) {
        Target target = Target.of(targetName);
        if (!Files.isRegularFile(base)) throw BuildErrors.targetFailed("the base image " + base + " is not a file", null);
        if (!Files.isDirectory(outputDir)) throw BuildErrors.targetFailed("the output directory " + outputDir + " is not a directory", null);
        String stem = fileStem(name);
        Path result = outputDir.resolve(stem + target.extension());
        if (Files.exists(result)) throw BuildErrors.targetFailed(result + " already exists", null);
        Path partial = hidden(outputDir, result.getFileName() + ".partial");
        long started = System.nanoTime();
        try {
            if (progress.cancelled()) throw BuildErrors.cancelled("conversion to " + target.wireName());
            switch (target) {
                case KVM, OPENSTACK_KVM -> QemuImgConvert.run(base, "qcow2", "", partial, new ProgressSpan(progress, 0, 100));
                case RAW -> QemuImgConvert.run(base, "raw", "", partial, new ProgressSpan(progress, 0, 100));
                case HYPERV -> QemuImgConvert.run(base, "vhdx", "subformat=dynamic", partial, new ProgressSpan(progress, 0, 100));
                case VSPHERE, VMWARE -> writeVmwareBox(base, stem, outputDir, partial, progress);
                case OVA -> writeOva(base, stem, outputDir, partial, progress);
                case MOCK -> Files.writeString(partial, "Hangar mock target image " + stem + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE_NEW);
            }
            // The last check before the name appears: a build cancelled meanwhile leaves nothing.
            if (progress.cancelled()) throw BuildErrors.cancelled("conversion to " + target.wireName());
            Files.move(partial, result, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(partial);
            throw BuildErrors.targetFailed("writing the " + target.wireName() + " image failed: " + e, e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(partial);
            throw e;
        }
        progress.report(100, "target image written");
        log.info("{} target {} written in {} s ({} bytes)", target.wireName(), result,
                String.format("%.1f", (System.nanoTime() - started) / 1e9), size(result));
        return result;
    }

    /** NAME.vmwarevm/NAME.vmx and NAME.vmwarevm/NAME.vmdk (monolithicSparse) as a tar.gz. */
    private void writeVmwareBox(Path base, String stem, Path outputDir, Path partial, BuildProgress progress) throws IOException {
        Path vmdk = hidden(outputDir, stem + ".vmdk.scratch");
        try {
            QemuImgConvert.run(base, "vmdk", "subformat=monolithicSparse", vmdk, new ProgressSpan(progress, 0, 60));
            String folder = VmwareBox.folder(stem);
            GzipParameters gzip = new GzipParameters();
            // Level 1: most of what gzip saves on a disk is its runs of zeros, which level 1 catches at several times level 6's speed.
            gzip.setCompressionLevel(Deflater.BEST_SPEED);
            gzip.setBufferSize(1 << 16); // the default 512-byte deflate buffer costs a native call per 512 bytes
            try (OutputStream file = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW);
                 TarPacker tar = new TarPacker(new GzipCompressorOutputStream(new BufferedOutputStream(file, 1 << 20), gzip))) {
                tar.directory(folder);
                tar.bytes(folder + "/" + stem + ".vmx", VmwareBox.vmx(stem, hardware));
                tar.file(folder + "/" + stem + ".vmdk", vmdk, new ProgressSpan(progress, 60, 100), "packing the VMware box");
            }
        } finally {
            deleteQuietly(vmdk);
        }
    }

    /** NAME.ovf, NAME.mf and NAME-disk1.vmdk (streamOptimized) as a tar; the descriptor comes first, as OVF requires. */
    private void writeOva(Path base, String stem, Path outputDir, Path partial, BuildProgress progress) throws IOException {
        String vmdkName = stem + "-disk1.vmdk";
        String ovfName = stem + ".ovf";
        Path vmdk = hidden(outputDir, vmdkName + ".scratch");
        try {
            QemuImgConvert.run(base, "vmdk", "subformat=streamOptimized", vmdk, new ProgressSpan(progress, 0, 60));
            long capacity = (Files.size(base) + SECTOR - 1) / SECTOR * SECTOR; // qemu-img rounds the disk up to whole sectors
            byte[] ovf = OvfEnvelope.descriptor(stem, vmdkName, Files.size(vmdk), capacity, hardware);
            String vmdkSha256 = FileCopy.sha256(vmdk, new ProgressSpan(progress, 60, 75), "hashing the OVA's disk");
            byte[] manifest = ("SHA256(" + ovfName + ")= " + java.util.HexFormat.of().formatHex(FileCopy.sha256().digest(ovf)) + "\n"
                    + "SHA256(" + vmdkName + ")= " + vmdkSha256 + "\n").getBytes(StandardCharsets.UTF_8);
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW), 1 << 20);
                 TarPacker tar = new TarPacker(file)) {
                tar.bytes(ovfName, ovf);
                tar.bytes(stem + ".mf", manifest);
                tar.file(vmdkName, vmdk, new ProgressSpan(progress, 75, 100), "packing the OVA");
            }
        } finally {
            deleteQuietly(vmdk);
        }
    }

    /** A hidden name in dir: never mistaken for a target image by anything listing the directory. */
    private static Path hidden(Path dir, String name) {
        return dir.resolve("." + name);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", p, e.getMessage());
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
