package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HangarManifestTest {
    static HangarManifest parse(String json) {
        return HangarManifest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsEveryField() {
        HangarManifest m = parse("""
                {"kernel": "vmlinux", "initrd": "initrd.img", "cmdline": "console=ttyS0",
                 "disks": ["root.raw", "data.qcow2"], "cpus": 2, "memory": "256mib", "guest_os": "other5xlinux-64",
                 "nic": "virtio", "disk_bus": "nvme", "firmware": "efi", "comment": "unknown fields are ignored"}
                """);

        assertEquals("vmlinux", m.kernel());
        assertEquals("initrd.img", m.initrd());
        assertEquals(List.of("root.raw", "data.qcow2"), m.disks());
        assertEquals(new MachineProfile(2, 256, "other5xlinux-64", NicModel.VIRTIO, DiskBus.NVME, Firmware.EFI, "console=ttyS0"),
                m.profile());
    }

    @ParameterizedTest
    @CsvSource({"'\"1gib\"', 1024", "'\"1024mib\"', 1024", "'\"1048576kib\"', 1024", "'\"1.5GiB\"', 1536", "512, 512"})
    void memoryIsIecOrMib(String json, int mib) {
        assertEquals(mib, parse("{\"disks\": [\"d.raw\"], \"memory\": " + json + "}").profile().memoryMib());
    }

    @Test
    void aKernelAloneIsEnough() {
        HangarManifest m = parse("{\"kernel\": \"vmlinux\"}");
        assertEquals(List.of(), m.disks());
        assertNull(m.profile().memoryMib());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{}",
            "{\"cpus\": 2}",
            "{\"disks\": \"d.raw\"}",
            "{\"disks\": [\"d.raw\"], \"memory\": \"1gb\"}",
            "{\"disks\": [\"d.raw\"], \"memory\": \"0.1kib\"}",
            "{\"disks\": [\"d.raw\"], \"cpus\": 0}",
            "{\"disks\": [\"d.raw\"], \"nic\": \"tulip\"}",
            "{\"disks\": [\"d.raw\"], \"disk_bus\": \"floppy\"}",
            "[1, 2]",
            "{not json"})
    void refusesWhatItCannotUse(String json) {
        HangarException e = assertThrows(HangarException.class, () -> parse(json));
        assertEquals("image-manifest-invalid", e.code());
    }
}
