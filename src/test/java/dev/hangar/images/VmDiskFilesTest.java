package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.images.GoldImage;
import dev.hangar.core.images.MachineProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmDiskFilesTest {
    private final VmDiskFiles disks = new VmDiskFiles();

    @TempDir
    Path dir;

    @Test
    void aCloneIsAnOverlayOfTheGoldsDiskAndAResumedCreationKeepsIt() throws Exception {
        Path golds = Files.createDirectories(dir.resolve("gold"));
        Path base = golds.resolve("disk0.qcow2");
        Qcow2Overlay.createBlank(base, 1 << 30);
        GoldImage gold = new GoldImage("sha256-x", golds, List.of(base), null, null, MachineProfile.EMPTY);
        Path vm = Files.createDirectories(dir.resolve("vm"));

        List<Path> clones = disks.clone(gold, vm);

        assertEquals(List.of(vm.resolve("disk0.qcow2")), clones);
        JsonNode info = QemuImg.info(clones.get(0), "qcow2");
        assertEquals(base.toString(), info.path("backing-filename").asText(), "a linked clone of the gold's disk");
        assertEquals(1L << 30, info.path("virtual-size").asLong());
        Files.writeString(vm.resolve("marker"), "x");
        long written = Files.getLastModifiedTime(clones.get(0)).toMillis();
        Thread.sleep(20);
        disks.clone(gold, vm);
        assertEquals(written, Files.getLastModifiedTime(clones.get(0)).toMillis(), "a clone already there is kept (the guest wrote to it)");
    }

    @Test
    void aBlankDiskIsSparseAndMadeOnce() throws Exception {
        Path file = Files.createDirectories(dir.resolve("vm")).resolve("blank0.qcow2");
        disks.createBlankDisk(file, 20L << 30);
        assertEquals(20L << 30, QemuImg.info(file, "qcow2").path("virtual-size").asLong());
        assertTrue(Files.size(file) < 1 << 20, "sparse: " + Files.size(file) + " bytes on disk");
        Files.write(file, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        long size = Files.size(file);
        disks.createBlankDisk(file, 20L << 30);
        assertEquals(size, Files.size(file), "not made again");
    }
}
