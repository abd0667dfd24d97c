package dev.hangar.images;

import static dev.hangar.images.Archives.charDevice;
import static dev.hangar.images.Archives.dir;
import static dev.hangar.images.Archives.fifo;
import static dev.hangar.images.Archives.file;
import static dev.hangar.images.Archives.hardlink;
import static dev.hangar.images.Archives.symlink;

import dev.hangar.images.Archives.Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * The archive fuzz suite's images: valid small VM images of every kind Hangar takes (a VMware bundle, a
 * manifest image, an OVF zip, an OVA, bare qcow2 and vmdk disks, backing chains, VMDK descriptors, links),
 * made once with qemu-img, and mutations of them: hostile entries (../, absolute names, links out,
 * devices, duplicates), damaged descriptions (.vmx, .ovf, hangar.json, VMDK descriptors), disk headers
 * with extreme fields or a backing file on the host, and damaged bytes of the archive and its compression
 * (flips, cuts, huge declared sizes, bad checksums, nested compression). Every case comes from one
 * Random seeded from the run's seed and the case's number, so a case is made again from those two.
 */
final class FuzzedImages {
    /** One case: its bytes, and what was done to which image (for the report). */
    record Case(int number, byte[] body, List<String> mutations) {}

    /** An image before packing: its entries and how they are packed (tar or zip, then compression). */
    private record Image(String name, List<Entry> entries, Function<Entry[], byte[]> archive, Function<byte[], byte[]> compression) {
        Image with(List<Entry> changed) {
            return new Image(name, changed, archive, compression);
        }

        byte[] pack() {
            return compression.apply(archive.apply(entries.toArray(Entry[]::new)));
        }
    }

    private final long seed;
    /** A directory outside the image directory: absolute names and links aim at it. */
    private final Path outside;
    /** A file there whose bytes must never turn up in a gold image. */
    private final Path secret;
    private final List<Image> images = new ArrayList<>();
    private Random r;

    FuzzedImages(long seed, Path work, Path outside, Path secret) {
        this.seed = seed;
        this.outside = outside;
        this.secret = secret;
        corpus(work);
    }

    private void corpus(Path work) {
        Path raw = TestDisks.rawDisk(work, "disk.raw", 64 * 1024);
        byte[] rawBytes = TestDisks.read(raw);
        byte[] qcow2 = TestDisks.read(TestDisks.convert(raw, "qcow2", work.resolve("disk.qcow2")));
        byte[] vmdk = TestDisks.read(TestDisks.convert(raw, "vmdk", work.resolve("disk.vmdk")));
        byte[] stream = TestDisks.read(TestDisks.convert(raw, "vmdk", work.resolve("stream.vmdk"), "-o", "subformat=streamOptimized"));
        byte[] vdi = TestDisks.read(TestDisks.convert(raw, "vdi", work.resolve("disk.vdi")));
        byte[] vhd = TestDisks.read(TestDisks.convert(raw, "vpc", work.resolve("disk.vhd")));
        Path chain = work.resolve("chain");
        TestDisks.write(chain.resolve("base.qcow2"), qcow2);
        TestDisks.qemuImg(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
                chain.resolve("overlay.qcow2").toString()));
        byte[] overlay = TestDisks.read(chain.resolve("overlay.qcow2"));
        String vmx = """
                .encoding = "UTF-8"
                numvcpus = "1"
                memsize = "256"
                guestOS = "other26xlinux-64"
                ethernet0.virtualDev = "vmxnet3"
                scsi0.present = "TRUE"
                scsi0.virtualDev = "lsilogic"
                scsi0:0.present = "TRUE"
                scsi0:0.fileName = "box.vmdk"
                """;
        String ovf = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
                  <References><File ovf:href="box-disk1.vmdk" ovf:id="file1"/></References>
                  <DiskSection><Info>disks</Info><Disk ovf:capacity="1" ovf:diskId="vmdisk1" ovf:fileRef="file1"/></DiskSection>
                  <VirtualSystem ovf:id="box"><Info>vm</Info>
                    <VirtualHardwareSection><Info>hw</Info>
                      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
                      <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>256</rasd:VirtualQuantity></Item>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """;
        String descriptor = """
                # Disk DescriptorFile
                version=1
                CID=fffffffe
                parentCID=ffffffff
                createType="monolithicFlat"

                RW 128 FLAT "disk-flat.vmdk" 0
                """;
        Function<byte[], byte[]> none = b -> b;
        images.add(new Image("vmware bundle tar.gz", List.of(dir("box.vmwarevm"), file("box.vmwarevm/box.vmx", vmx),
                file("box.vmwarevm/box.vmdk", vmdk)), Archives::tar, Archives::gzip));
        images.add(new Image("manifest tar", List.of(file("hangar.json", "{\"disks\": [\"disk.qcow2\"], \"cpus\": 1, \"memory\": \"256mib\"}"),
                file("disk.qcow2", qcow2)), Archives::tar, none));
        images.add(new Image("ovf zip", List.of(file("box.ovf", ovf), file("box-disk1.vmdk", stream)), Archives::zip, none));
        byte[] ova = Archives.tar(file("box.ovf", ovf), file("box-disk1.vmdk", stream));
        images.add(new Image("ova in tar.gz", List.of(file("export/box.ova", ova)), Archives::tar, Archives::gzip));
        images.add(new Image("raw disk tar.bz2", List.of(dir("box"), file("box/disk.img", rawBytes)), Archives::tar, Archives::bzip2));
        images.add(new Image("backing chain tar", List.of(file("base.qcow2", qcow2), file("overlay.qcow2", overlay),
                file("hangar.json", "{\"disks\": [\"overlay.qcow2\"]}")), Archives::tar, none));
        images.add(new Image("vmdk descriptor tar", List.of(file("disk.vmdk", descriptor), file("disk-flat.vmdk", rawBytes)), Archives::tar, none));
        images.add(new Image("links tar", List.of(dir("box"), file("box/real.vmdk", vmdk), symlink("box/link.vmdk", "real.vmdk"),
                file("box/box.vmx", vmx.replace("box.vmdk", "link.vmdk")), hardlink("box/copy.vmx", "box/box.vmx")), Archives::tar, none));
        images.add(new Image("links zip", List.of(file("real.vmdk", vmdk), symlink("link.vmdk", "real.vmdk"),
                file("box.vmx", vmx.replace("box.vmdk", "link.vmdk"))), Archives::zip, none));
        // Bare disks: their bytes are the whole download.
        for (var bare : List.of(List.of("bare qcow2", qcow2), List.of("bare vmdk", vmdk), List.of("bare vdi", vdi), List.of("bare vhd", vhd))) {
            byte[] bytes = (byte[]) bare.get(1);
            images.add(new Image((String) bare.get(0), List.of(file("disk", bytes)), e -> e[0].data(), none));
        }
    }

    Case next(int number) {
        r = new Random(seed * 1_000_003L + number);
        Image image = pick(images);
        List<String> mutations = new ArrayList<>();
        mutations.add(image.name());
        boolean bare = image.entries().size() == 1 && image.entries().get(0).name().equals("disk");
        int changes = 1 + r.nextInt(3);
        byte[] body = image.pack();
        for (int i = 0; i < changes; i++) {
            if (bare || r.nextInt(3) == 0) break;
            Image changed = image.with(mutateEntries(new ArrayList<>(image.entries()), image, mutations));
            try {
                body = changed.pack();
                image = changed;
            } catch (RuntimeException cannotBePacked) {
                mutations.add("(the packer refused that: " + cannotBePacked.getMessage() + ")");
            }
        }
        if (bare && image.entries().get(0).data().length > 0) body = disk(body, mutations);
        if (bare || r.nextInt(3) == 0) body = mutateBytes(body, mutations);
        if (r.nextInt(12) == 0) body = wrap(body, mutations);
        return new Case(number, body, mutations);
    }

    // ---- entries ----------------------------------------------------------------------------------

    private List<Entry> mutateEntries(List<Entry> entries, Image image, List<String> mutations) {
        int what = entries.isEmpty() ? 0 : r.nextInt(11);
        boolean zip = image.name().contains("zip");
        switch (what) {
            case 0 -> {
                String name = hostileName();
                entries.add(r.nextInt(r.nextBoolean() ? 1 : entries.size() + 1) == 0 ? 0 : entries.size(), file(name, "evil"));
                mutations.add("file " + shortly(name));
            }
            case 1 -> {
                String name = pick(List.of("up", "box.vmwarevm/up", "l", "box/link.vmdk", "disk.qcow2", "a/b/c/x"));
                String target = linkTarget();
                entries.add(symlink(name, target));
                if (r.nextBoolean()) entries.add(file(name + "/evil", "evil")); // then write through it
                mutations.add("symlink " + name + " -> " + shortly(target));
            }
            case 2 -> {
                if (zip) {
                    entries.add(symlink("hl", linkTarget()));
                    mutations.add("zip symlink");
                } else {
                    String target = pick(List.of(secret.toString(), "../../../outside/secret", "box.vmwarevm/box.vmdk", "nonexistent",
                            "box.vmwarevm", "hangar.json", "", "./disk.qcow2"));
                    String name = pick(List.of("hl", "box.vmwarevm/box.vmdk", "disk.qcow2", "hangar.json"));
                    entries.add(hardlink(name, target));
                    mutations.add("hardlink " + name + " -> " + target);
                }
            }
            case 3 -> {
                Entry e = pick(entries);
                Entry twin = switch (r.nextInt(4)) {
                    case 0 -> dir(e.name());
                    case 1 -> file(e.name(), "replaced");
                    case 2 -> symlink(e.name(), linkTarget());
                    default -> zip ? file(e.name() + "/", "x") : hardlink(e.name(), e.name());
                };
                entries.add(twin);
                mutations.add("duplicate " + e.name() + " as " + twin.type());
            }
            case 4 -> {
                entries.add(r.nextBoolean() ? charDevice("box.vmwarevm/null") : fifo(pick(List.of("pipe", "disk.qcow2", "box/disk.img"))));
                mutations.add("device or fifo");
            }
            case 5, 6, 7 -> {
                int i = indexOfDescription(entries);
                if (i < 0) return mutateEntries(entries, image, mutations);
                Entry e = entries.get(i);
                String text = new String(e.data(), StandardCharsets.UTF_8);
                entries.set(i, file(e.name(), description(text, mutations)));
            }
            case 8 -> {
                int i = indexOfDisk(entries);
                if (i < 0) return mutateEntries(entries, image, mutations);
                Entry e = entries.get(i);
                entries.set(i, file(e.name(), disk(e.data(), mutations)));
            }
            case 9 -> {
                Entry e = entries.remove(r.nextInt(entries.size()));
                mutations.add("without " + e.name());
            }
            default -> {
                // A file far larger than the size limit, which compression makes small.
                int size = r.nextInt(4) == 0 ? ArchiveFuzzTest.MAX_IMAGE_BYTES + 1 : 1 << 20;
                entries.add(file("zeros.img", new byte[size]));
                mutations.add("zeros " + size);
            }
        }
        return entries;
    }

    private String hostileName() {
        return pick(List.of("../evil", "../../evil", "../../../evil", "../../../../evil", "a/../../evil", outside.resolve("abs-evil").toString(),
                "..\\evil", "./../evil", "box.vmwarevm/../../evil", ".", "./", "x".repeat(300), "d/".repeat(2100) + "f",
                "evil\u0000x", "\u00e9vil", "a//b", "box.vmwarevm/box.vmx", "hangar.json", "__MACOSX/._box.vmx", "box.vmwarevm/",
                "x.vmx", "y.ovf", "z.ova", "disk2.qcow2"));
    }

    private String linkTarget() {
        return pick(List.of(outside.toString(), secret.toString(), "..", "../..", "../../..", "../../../outside", "../../../outside/secret",
                ".", "", "a/b/c/../../../..", "x".repeat(5000), "box.vmwarevm", "real.vmdk", "self", "up/up/up", "/dev/zero", "/proc/self/environ"));
    }

    private static int indexOfDescription(List<Entry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            String n = entries.get(i).name();
            if (entries.get(i).type() == Archives.Type.FILE && (n.endsWith(".vmx") || n.endsWith(".ovf") || n.endsWith(".json")
                    || (n.endsWith(".vmdk") && entries.get(i).data().length < 4096 && entries.get(i).data().length > 0 && entries.get(i).data()[0] == '#'))) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOfDisk(List<Entry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.type() == Archives.Type.FILE && e.data().length >= 512 && !e.name().endsWith(".json")) return i;
        }
        return -1;
    }

    /** A .vmx, .ovf, hangar.json or VMDK descriptor with its file names made hostile, or otherwise broken. */
    private String description(String text, List<String> mutations) {
        int what = r.nextInt(9);
        mutations.add("description #" + what);
        String hostile = pick(List.of("../../../outside/secret", secret.toString(), "json:{\"file.filename\": \"" + secret + "\"}",
                "nbd://127.0.0.1:1/x", "/dev/zero", "../" + "x".repeat(300), "", "box.vmx", "disk.vmdk", "."));
        return switch (what) {
            case 0 -> text.replaceAll("\"[^\"]*\\.(vmdk|qcow2|raw|img)\"", "\"" + hostile.replace("\"", "\\\\\"") + "\"")
                    .replace("ovf:href=\"box-disk1.vmdk\"", "ovf:href=\"" + hostile.replace("\"", "&quot;") + "\"");
            case 1 -> text.substring(0, r.nextInt(text.length() + 1));
            case 2 -> "<!DOCTYPE x [<!ENTITY e SYSTEM \"file://" + secret + "\">]>\n" + text.replace("<Info>vm</Info>", "<Info>&e;</Info>");
            case 3 -> text.replaceAll("\\d+", pick(List.of("0", "-1", "99999999999999999999", "1e400", "NaN", "4294967296")));
            case 4 -> text + "\nscsi0:1.fileName = \"" + hostile + "\"\nparentFileNameHint=\"" + hostile + "\"\nRW 1 FLAT \"" + hostile + "\" 0\n";
            case 5 -> text.repeat(2);
            case 6 -> text.replace("\"", "").replace("=", "");
            case 7 -> "{\"disks\": [\"" + hostile.replace("\"", "\\\"") + "\"], \"kernel\": \"" + hostile.replace("\"", "\\\"") + "\"}";
            default -> "[".repeat(5000) + "<" + "a>".repeat(r.nextInt(3000));
        };
    }

    // ---- disks ------------------------------------------------------------------------------------

    /** A disk with header fields set to extreme values, a backing file on the host, or damaged bytes. */
    private byte[] disk(byte[] disk, List<String> mutations) {
        byte[] d = disk.clone();
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.BIG_ENDIAN);
        boolean qcow2 = d.length > 104 && d[0] == 'Q' && d[1] == 'F' && d[2] == 'I';
        boolean vmdk = d.length > 512 && d[0] == 'K' && d[1] == 'D' && d[2] == 'M' && d[3] == 'V';
        if (qcow2 && r.nextBoolean()) {
            if (r.nextInt(3) == 0) {
                // A backing file named in the header: somewhere on the host, or a qemu protocol.
                String name = pick(List.of(secret.toString(), "../../../outside/secret", "json:{\"file.filename\":\"" + secret + "\"}",
                        "nbd://127.0.0.1:1", "/dev/zero", "base.qcow2", "overlay.qcow2", "disk.qcow2"));
                byte[] n = name.getBytes(StandardCharsets.UTF_8);
                int at = 0x400;
                System.arraycopy(n, 0, d, at, Math.min(n.length, d.length - at));
                b.putLong(8, at);
                b.putInt(16, n.length);
                mutations.add("qcow2 backing " + name);
            } else {
                int[] offsets = {4, 8, 16, 20, 24, 32, 36, 40, 48, 56, 60, 64, 72, 80, 96, 100};
                int off = offsets[r.nextInt(offsets.length)];
                long v = extreme();
                if (off == 4 || off == 16 || off == 20 || off == 32 || off == 36 || off == 56 || off == 60 || off == 96 || off == 100) b.putInt(off, (int) v);
                else b.putLong(off, v);
                mutations.add("qcow2 header @" + off + "=" + v);
            }
            return d;
        }
        if (vmdk && r.nextBoolean()) {
            ByteBuffer le = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            int[] offsets = {4, 8, 12, 20, 28, 36, 44, 48, 56, 64};
            int off = offsets[r.nextInt(offsets.length)];
            long v = extreme();
            if (off == 4 || off == 8 || off == 44) le.putInt(off, (int) v);
            else le.putLong(off, v);
            mutations.add("vmdk header @" + off + "=" + v);
            return d;
        }
        return mutateBytes(d, mutations);
    }

    private long extreme() {
        return pick(List.of(0L, 1L, -1L, 2L, 3L, 9L, 31L, 64L, 0x7fffffffL, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 1L << 62,
                (long) r.nextInt(1 << 20), r.nextLong()));
    }

    // ---- bytes ------------------------------------------------------------------------------------

    private byte[] mutateBytes(byte[] body, List<String> mutations) {
        int what = r.nextInt(9);
        mutations.add("bytes #" + what);
        byte[] b = body.clone();
        return switch (what) {
            case 0, 1 -> { // flip a few bytes, most often in the first KiB where headers are
                int flips = 1 + r.nextInt(20);
                for (int i = 0; i < flips && b.length > 0; i++) {
                    int at = r.nextBoolean() ? r.nextInt(Math.min(1024, b.length)) : r.nextInt(b.length);
                    b[at] = (byte) r.nextInt(256);
                }
                yield b;
            }
            case 2 -> java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length)); // cut short
            case 3 -> { // a range cut out of the middle
                if (b.length < 2) yield b;
                int from = r.nextInt(b.length - 1);
                int to = from + 1 + r.nextInt(Math.min(4096, b.length - from - 1) + 1);
                byte[] out = new byte[b.length - (to - from)];
                System.arraycopy(b, 0, out, 0, from);
                System.arraycopy(b, to, out, from, b.length - to);
                yield out;
            }
            case 4 -> { // junk after the end
                byte[] junk = new byte[1 + r.nextInt(4096)];
                r.nextBytes(junk);
                byte[] out = java.util.Arrays.copyOf(b, b.length + junk.length);
                System.arraycopy(junk, 0, out, b.length, junk.length);
                yield out;
            }
            case 5 -> tarHeader(b, mutations);
            case 6 -> zipHeader(b, mutations);
            case 7 -> gzipHeader(b, mutations);
            default -> { // a 32-bit field somewhere set to an extreme
                if (b.length < 8) yield b;
                int at = r.nextInt(Math.min(b.length - 4, 2048));
                ByteBuffer.wrap(b).order(r.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN).putInt(at, (int) extreme());
                yield b;
            }
        };
    }

    /** In an uncompressed tar: one header's size, type, name or link set to something extreme; its checksum mostly fixed up. */
    private byte[] tarHeader(byte[] b, List<String> mutations) {
        if (b.length < 1024 || !(b[257] == 'u' && b[258] == 's' && b[259] == 't')) return b;
        List<Integer> headers = new ArrayList<>();
        for (int at = 0; at + 512 <= b.length; at += 512) {
            if (b[at + 257] == 'u' && b[at + 258] == 's' && b[at + 259] == 't' && b[at + 260] == 'a' && b[at + 261] == 'r') headers.add(at);
        }
        int h = pick(headers);
        int what = r.nextInt(5);
        switch (what) {
            case 0 -> put(b, h + 124, pick(List.of("77777777777\0", "00000000000\0", "-0000000001\0", "99999999999\0", "           \0")));
            case 1 -> { // base-256 size: huge, or negative
                b[h + 124] = (byte) (r.nextBoolean() ? 0x80 : 0xff);
                for (int i = 1; i < 12; i++) b[h + 124 + i] = (byte) r.nextInt(256);
            }
            case 2 -> b[h + 156] = (byte) "1234567gxLKSVM\0".charAt(r.nextInt(15));
            case 3 -> put(b, h, pick(List.of("../evil\0", "/etc/evil\0", outside.resolve("t").toString() + "\0", "\0", "a/../../../evil\0")));
            default -> put(b, h + 157, pick(List.of("../../../outside/secret\0", secret + "\0", "/\0", "..\0")));
        }
        if (r.nextInt(4) != 0) { // a right checksum, so the reader goes on to the mutated field
            for (int i = 0; i < 8; i++) b[h + 148 + i] = ' ';
            long sum = 0;
            for (int i = 0; i < 512; i++) sum += b[h + i] & 0xff;
            put(b, h + 148, String.format("%06o\0 ", sum));
        }
        mutations.add("tar header @" + h + " #" + what);
        return b;
    }

    /** In a zip: a local or central header's sizes, method, flags, name length or Unix mode set to something extreme. */
    private byte[] zipHeader(byte[] b, List<String> mutations) {
        List<Integer> local = new ArrayList<>();
        List<Integer> central = new ArrayList<>();
        for (int i = 0; i + 46 <= b.length; i++) {
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 3 && b[i + 3] == 4) local.add(i);
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 1 && b[i + 3] == 2) central.add(i);
        }
        if (local.isEmpty()) return b;
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (central.isEmpty() || r.nextBoolean()) {
            int h = pick(local);
            int off = pick(List.of(6, 8, 18, 22, 26, 28));
            if (off == 18 || off == 22) le.putInt(h + off, (int) extreme());
            else le.putShort(h + off, (short) pick(List.of(0, 1, 8, 9, 12, 14, 99, 0xffff, 0x0808, r.nextInt(65536))).intValue());
            mutations.add("zip local @" + h + "+" + off);
        } else {
            int h = pick(central);
            if (r.nextBoolean()) {
                // The Unix mode: a link, a device, a FIFO, a directory, setuid.
                le.putShort(h + 4, (short) (3 << 8 | 20));
                le.putInt(h + 38, pick(List.of(0120777, 0020644, 0010644, 0040755, 0104755, 0140777)) << 16);
                mutations.add("zip mode @" + h);
            } else {
                int off = pick(List.of(10, 20, 24, 28, 30, 32, 42));
                if (off == 20 || off == 24 || off == 42) le.putInt(h + off, (int) extreme());
                else le.putShort(h + off, (short) pick(List.of(0, 99, 0xffff, r.nextInt(65536))).intValue());
                mutations.add("zip central @" + h + "+" + off);
            }
        }
        return b;
    }

    /** In a gzip: the flags and extra field, the name without its end, or the size in the trailer. */
    private byte[] gzipHeader(byte[] b, List<String> mutations) {
        if (b.length < 18 || b[0] != 0x1f || b[1] != (byte) 0x8b) return b;
        int what = r.nextInt(4);
        switch (what) {
            case 0 -> { // FEXTRA with a huge XLEN
                b[3] |= 4;
                byte[] out = new byte[b.length + 2];
                System.arraycopy(b, 0, out, 0, 10);
                out[10] = (byte) 0xff;
                out[11] = (byte) 0xff;
                System.arraycopy(b, 10, out, 12, b.length - 10);
                b = out;
            }
            case 1 -> b[3] |= (byte) (8 | 16 | 2); // FNAME, FCOMMENT, FHCRC where there are none
            case 2 -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) extreme()); // ISIZE
            default -> b[2] = (byte) r.nextInt(256); // compression method
        }
        mutations.add("gzip header #" + what);
        return b;
    }

    /** More layers of compression: past the limit now and then, or a format Hangar does not read. */
    private byte[] wrap(byte[] body, List<String> mutations) {
        int layers = 1 + r.nextInt(5);
        for (int i = 0; i < layers; i++) body = r.nextBoolean() ? Archives.gzip(body) : Archives.bzip2(body);
        if (r.nextInt(4) == 0) {
            byte[] xz = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};
            byte[] out = java.util.Arrays.copyOf(xz, xz.length + body.length);
            System.arraycopy(body, 0, out, xz.length, body.length);
            body = out;
            mutations.add("xz magic");
        }
        mutations.add(layers + " more compression layers");
        return body;
    }

    private static void put(byte[] b, int at, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, b, at, Math.min(bytes.length, b.length - at));
    }

    private static String shortly(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "...(" + s.length() + ")" : s.replace("\0", "\\0");
    }

    private <T> T pick(List<T> choices) {
        return choices.get(r.nextInt(choices.size()));
    }
}
