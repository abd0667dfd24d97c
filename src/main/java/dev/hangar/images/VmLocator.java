package dev.hangar.images;

import dev.hangar.core.images.MachineProfile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the VM in an unpacked image, wherever it lies (e.g. inside {@code foo.vmwarevm/}). In order of
 * preference: a {@code hangar.json}; a {@code .vmx} and the disks it names; an {@code .ovf} (or an
 * {@code .ova}, unpacked safely beside the tree) and its disk files; else a single bare disk. When several
 * of one kind exist, the shallowest (then first by name) wins.
 */
final class VmLocator {
    /** A disk to convert, the tree it lies in (for reference checks) and its format. */
    record LocatedDisk(Path path, DiskFormat format, UnpackDir tree) {}

    /** What was found: disks in boot order, optional direct-boot kernel and initrd, the machine described. */
    record LocatedVm(List<LocatedDisk> disks, Path kernel, Path initrd, MachineProfile profile, String describedBy) {}

    private static final Logger log = LoggerFactory.getLogger(VmLocator.class);
    private static final long MAX_DESCRIPTION_BYTES = 4 << 20;
    /** Extensions a disk file may carry; raw disks have no header, so for raw the name is what tells. */
    private static final Set<String> DISK_EXTENSIONS = Set.of("qcow2", "qcow", "img", "raw", "vmdk", "vdi", "vhd", "vhdx");
    private static final Set<String> RAW_EXTENSIONS = Set.of("img", "raw");

    private final UnpackDir tree;
    private final Path scratch;

    /** {@code scratch} is an empty directory outside the tree where an .ova inside the image is unpacked. */
    VmLocator(UnpackDir tree, Path scratch) {
        this.tree = tree;
        this.scratch = scratch;
    }

    LocatedVm locate() {
        List<Path> files = tree.files().filter(p -> !isMacMetadata(p)).toList();
        Optional<Path> manifest = first(files, p -> p.getFileName().toString().equals(HangarManifest.FILE_NAME));
        if (manifest.isPresent()) return fromManifest(manifest.get());
        Optional<Path> vmx = first(files, hasExtension("vmx"));
        if (vmx.isPresent()) return fromVmx(vmx.get());
        Optional<Path> ovf = first(files, hasExtension("ovf"));
        if (ovf.isPresent()) return fromOvf(tree, ovf.get());
        Optional<Path> ova = first(files, hasExtension("ova"));
        if (ova.isPresent()) return fromOva(ova.get());
        return fromBareDisk(files);
    }

    /**
     * The VM one given .vmx in the tree describes, whatever else the tree holds: a library VM folder is
     * named by its {@code NAME.vmx}, not found by searching. The caller has checked that vmx is in the tree.
     */
    LocatedVm locateVmx(Path vmx) {
        return fromVmx(vmx);
    }

    private LocatedVm fromManifest(Path file) {
        HangarManifest m = HangarManifest.parse(read(file));
        Path base = file.getParent();
        List<LocatedDisk> disks = new ArrayList<>();
        for (String name : m.disks()) {
            Path disk = existing(base, name, "hangar.json", "disk");
            disks.add(new LocatedDisk(disk, formatOf(disk, true), tree));
        }
        Path kernel = m.kernel() == null ? null : existing(base, m.kernel(), "hangar.json", "kernel");
        Path initrd = m.initrd() == null ? null : existing(base, m.initrd(), "hangar.json", "initrd");
        return new LocatedVm(List.copyOf(disks), kernel, initrd, m.profile(), relative(file));
    }

    private LocatedVm fromVmx(Path file) {
        VmxFile vmx = VmxFile.parse(read(file));
        List<VmxFile.Disk> named = vmx.disks();
        if (named.isEmpty()) throw ImageFailures.noDisk(relative(file) + " attaches no .vmdk disk");
        List<LocatedDisk> disks = new ArrayList<>();
        for (VmxFile.Disk d : named) {
            Path disk = existing(file.getParent(), d.fileName(), relative(file), "disk " + d.slot());
            disks.add(new LocatedDisk(disk, formatOf(disk, false), tree));
        }
        return new LocatedVm(List.copyOf(disks), null, null, vmx.profile(), relative(file));
    }

    private LocatedVm fromOvf(UnpackDir in, Path file) {
        OvfDescriptor ovf = OvfDescriptor.parse(read(file));
        if (ovf.diskFiles().isEmpty()) throw ImageFailures.noDisk(file.getFileName() + " lists no disk files");
        List<LocatedDisk> disks = new ArrayList<>();
        for (String href : ovf.diskFiles()) {
            Path disk = in.resolveInside(file.getParent(), href, file.getFileName().toString());
            if (!Files.isRegularFile(disk)) throw ImageFailures.noDisk(file.getFileName() + " names disk " + href + ", which is not in the image");
            disks.add(new LocatedDisk(disk, formatOf(disk, false), in));
        }
        return new LocatedVm(List.copyOf(disks), null, null, ovf.profile(), file.getFileName().toString());
    }

    /** An OVA is a tar of an .ovf and its disks; it is unpacked with the same checks, under the same size budget. */
    private LocatedVm fromOva(Path file) {
        UnpackDir ovaTree = new UnpackDir(scratch.resolve("ova"), tree.budget());
        boolean recognised;
        try (InputStream in = UnpackDir.local(() -> Files.newInputStream(file))) {
            recognised = new Unpacker(ovaTree).unpack(in);
        } catch (IOException e) {
            throw ImageFailures.formatUnsupported(relative(file) + " is damaged: " + ImageFailures.describe(e));
        }
        Optional<Path> ovf = recognised ? first(ovaTree.files().toList(), hasExtension("ovf")) : Optional.empty();
        if (ovf.isEmpty()) throw ImageFailures.noDisk(relative(file) + " holds no .ovf descriptor");
        return fromOvf(ovaTree, ovf.get());
    }

    /**
     * No description: the image must hold exactly one disk. Files a VMDK descriptor names as its extents are
     * parts of that disk, not disks of their own.
     */
    private LocatedVm fromBareDisk(List<Path> files) {
        List<LocatedDisk> candidates = new ArrayList<>();
        Set<Path> extents = new HashSet<>();
        for (Path f : files) {
            DiskFormat format = UnpackDir.local(() -> DiskFormat.detect(f));
            String ext = extension(f);
            if (format == null && RAW_EXTENSIONS.contains(ext)) format = DiskFormat.RAW;
            // A raw-looking file (boot signature) is only a disk if its name says so: a Linux bzImage has one too.
            if (format == null || (format == DiskFormat.RAW && !DISK_EXTENSIONS.contains(ext))) continue;
            candidates.add(new LocatedDisk(f, format, tree));
            if (format == DiskFormat.VMDK && UnpackDir.local(() -> DiskFormat.isVmdkDescriptor(f))) {
                extents.addAll(extentsOf(f));
            }
        }
        candidates.removeIf(c -> extents.contains(c.path()));
        if (candidates.isEmpty()) throw ImageFailures.noDisk("image holds no VM: no hangar.json, .vmx, .ovf, .ova or disk file");
        if (candidates.size() > 1) {
            throw ImageFailures.noDisk("image holds several disks (" + String.join(", ", candidates.stream()
                    .map(c -> relative(c.path())).toList()) + ") and no hangar.json, .vmx or .ovf saying which to use");
        }
        LocatedDisk only = candidates.get(0);
        return new LocatedVm(List.of(only), null, null, MachineProfile.EMPTY, relative(only.path()));
    }

    private Set<Path> extentsOf(Path descriptor) {
        Set<Path> out = new HashSet<>();
        for (String name : DiskReferences.vmdkExtents(descriptor)) {
            try {
                out.add(descriptor.getParent().resolve(name).normalize());
            } catch (RuntimeException badName) {
                // not a usable file name; DiskReferences refuses it if this disk is used
            }
        }
        return out;
    }

    private Path existing(Path base, String name, String namedBy, String what) {
        Path p = tree.resolveInside(base, name, namedBy);
        if (!Files.isRegularFile(p)) throw ImageFailures.noDisk(namedBy + " names " + what + " " + name + ", which is not in the image");
        return p;
    }

    /** Disks named by a description: by their bytes; unknown bytes are raw only where a manifest says "it's a disk". */
    private DiskFormat formatOf(Path disk, boolean rawIfUnknown) {
        DiskFormat f = UnpackDir.local(() -> DiskFormat.detect(disk));
        if (f != null) return f;
        if (rawIfUnknown || RAW_EXTENSIONS.contains(extension(disk))) return DiskFormat.RAW;
        throw ImageFailures.formatUnsupported("disk " + relative(disk) + " is in no format Hangar reads (qcow2, vmdk, vdi, vhd, vhdx, raw)");
    }

    private byte[] read(Path file) {
        long size = UnpackDir.local(() -> Files.size(file));
        if (size > MAX_DESCRIPTION_BYTES) throw ImageFailures.formatUnsupported(relative(file) + " is too large to be a VM description");
        return UnpackDir.local(() -> Files.readAllBytes(file));
    }

    private Optional<Path> first(List<Path> files, Predicate<Path> match) {
        List<Path> found = files.stream().filter(match).toList();
        if (found.size() > 1) log.info("image has {} candidates; using the shallowest, {}", found.size(), relative(found.get(0)));
        return found.stream().findFirst();
    }

    /** Zips made by macOS Finder carry {@code __MACOSX/._box.vmx} resource forks: never VM files. */
    private boolean isMacMetadata(Path p) {
        for (Path part : tree.root().relativize(p)) {
            if (part.toString().equals("__MACOSX")) return true;
        }
        return p.getFileName().toString().startsWith("._");
    }

    private static Predicate<Path> hasExtension(String ext) {
        return p -> extension(p).equals(ext);
    }

    private static String extension(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private String relative(Path p) {
        return p.startsWith(tree.root()) ? tree.root().relativize(p).toString() : p.getFileName().toString();
    }
}
