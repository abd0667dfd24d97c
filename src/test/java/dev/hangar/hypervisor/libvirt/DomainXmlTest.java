package dev.hangar.hypervisor.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.networks.NetAttachment;
import dev.hangar.core.vms.MachineSpec;
import dev.hangar.hypervisor.qemu.Accelerator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The machine of a MachineSpec as libvirt domain XML: the same machine the QEMU driver starts. */
class DomainXmlTest {
    private static final Path DIR = Path.of("/data/vms/0b1e6a52-7f3c-4e0a-9d1c-2f5b8a4c0d11");
    private static final String ID = "0b1e6a52-7f3c-4e0a-9d1c-2f5b8a4c0d11";

    private static Document xml(MachineSpec spec, Accelerator accel) throws Exception {
        String text = DomainXml.build(spec, accel, "owner1");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String x(Document d, String path) throws Exception {
        return XPathFactory.newInstance().newXPath().evaluate(path, d);
    }

    private static int count(Document d, String path) throws Exception {
        return ((NodeList) XPathFactory.newInstance().newXPath().evaluate(path, d, XPathConstants.NODESET)).getLength();
    }

    private static MachineSpec host(String name) {
        return new MachineSpec(ID, name, DIR, 2, 512, List.of(
                new MachineSpec.Disk(DIR.resolve("blank0.qcow2"), DiskBus.VIRTIO_SCSI),
                new MachineSpec.Disk(DIR.resolve("blank1.qcow2"), DiskBus.VIRTIO_SCSI)), null, null, null, null,
                List.of(new MachineSpec.Nic(NicModel.VIRTIO, "52:54:00:12:34:56", NetAttachment.tapWithoutOffload("hgt123456")),
                        new MachineSpec.Nic(NicModel.E1000, "52:54:00:00:00:02", NetAttachment.tap("hgt000002"))), false, false);
    }

    @Test
    void aHostIsNamedAfterItsNameCarriesItsIdAndTheMarkOfItsService() throws Exception {
        Document d = xml(host("db1.example.test"), Accelerator.TCG);
        assertEquals("hangar-db1.example.test", x(d, "/domain/name"));
        assertEquals(ID, x(d, "/domain/uuid"));
        assertEquals(ID, x(d, "/domain/metadata/*[local-name()='vm']/@id"));
        assertEquals("owner1", x(d, "/domain/metadata/*[local-name()='vm']/@owner"));
        assertEquals("qemu", x(d, "/domain/@type"));
        assertEquals("maximum", x(d, "/domain/cpu/@mode"));
        assertEquals("512", x(d, "/domain/memory"));
        assertEquals("MiB", x(d, "/domain/memory/@unit"));
        assertEquals("2", x(d, "/domain/vcpu"));
        assertEquals("hangar-" + ID, x(xml(host(null), Accelerator.TCG), "/domain/name"), "no name: the id");
        assertEquals("kvm", x(xml(host(null), Accelerator.KVM), "/domain/@type"));
        assertEquals("host-passthrough", x(xml(host(null), Accelerator.KVM), "/domain/cpu/@mode"));
    }

    @Test
    void itsDisksAreLunsOfOneVirtioScsiTargetInBootOrder() throws Exception {
        Document d = xml(host("h"), Accelerator.TCG);
        assertEquals(1, count(d, "//controller[@type='scsi']"));
        assertEquals("virtio-scsi", x(d, "//controller[@type='scsi']/@model"));
        assertEquals("/data/vms/" + ID + "/blank1.qcow2", x(d, "//disk[2]/source/@file"));
        assertEquals("sdb", x(d, "//disk[2]/target/@dev"));
        assertEquals("scsi", x(d, "//disk[2]/target/@bus"));
        assertEquals("0", x(d, "//disk[2]/address/@target"));
        assertEquals("1", x(d, "//disk[2]/address/@unit"));
        assertEquals("2", x(d, "//disk[2]/boot/@order"));
        assertEquals("qcow2", x(d, "//disk[1]/driver/@type"));
    }

    @Test
    void nicsOpenHangarsTapsAndOffloadsAreOffWhereTheSwitchForwardsFramesAsTheyAre() throws Exception {
        Document d = xml(host("h"), Accelerator.TCG);
        assertEquals("ethernet", x(d, "//interface[1]/@type"));
        assertEquals("hgt123456", x(d, "//interface[1]/target/@dev"));
        assertEquals("no", x(d, "//interface[1]/target/@managed"));
        assertEquals("52:54:00:12:34:56", x(d, "//interface[1]/mac/@address"));
        assertEquals("off", x(d, "//interface[1]/driver/host/@csum"));
        assertEquals("e1000", x(d, "//interface[2]/model/@type"));
        assertEquals(0, count(d, "//interface[2]/driver"));
    }

    @Test
    void theConsoleAndTheAgentAreSocketsInTheVmsDirectoryAndTheConsoleIsLogged() throws Exception {
        Document d = xml(host("h"), Accelerator.TCG);
        assertEquals(DIR.resolve("serial.sock").toString(), x(d, "//serial/source/@path"));
        assertEquals(DIR.resolve("serial.log").toString(), x(d, "//serial/log/@file"));
        assertEquals("org.qemu.guest_agent.0", x(d, "//channel/target/@name"));
        assertEquals(DIR.resolve("qga.sock").toString(), x(d, "//channel/source/@path"));
        assertEquals(0, count(d, "//graphics"), "headless");
        assertEquals(0, count(d, "//seclabel"), "no label of Hangar's: libvirt runs QEMU as its own unprivileged user, sandboxed");
    }

    @Test
    void anInstallerBootsItsKernelAndItsRebootEndsTheDomain() throws Exception {
        MachineSpec s = new MachineSpec(ID, "h", DIR, 1, 512, List.of(new MachineSpec.Disk(DIR.resolve("blank0.qcow2"), DiskBus.VIRTIO_SCSI)),
                null, Path.of("/i/linux"), Path.of("/i/initrd.gz"), "auto=true <&> priority=critical", List.of(), false, true);
        Document d = xml(s, Accelerator.TCG);
        assertEquals("/i/linux", x(d, "/domain/os/kernel"));
        assertEquals("auto=true <&> priority=critical", x(d, "/domain/os/cmdline"), "escaped, never interpreted");
        assertEquals("destroy", x(d, "/domain/on_reboot"));
        assertEquals(0, count(d, "//disk/boot"), "the kernel boots, not a disk");
        assertEquals("restart", x(xml(host("h"), Accelerator.TCG), "/domain/on_reboot"));
    }

    private static Document withSeed(DiskBus bus) throws Exception {
        return xml(new MachineSpec(ID, null, DIR, 1, 256, List.of(new MachineSpec.Disk(DIR.resolve("disk0.qcow2"), bus),
                new MachineSpec.Disk(DIR.resolve("cidata.iso"), bus, true)), Firmware.BIOS, null, null, null, List.of(), false, false),
                Accelerator.TCG);
    }

    @Test
    void theSeedIsACdRomOnTheMachinesControllerOutOfTheBootOrderAsUnderTheQemuDriver() throws Exception {
        Document ide = withSeed(DiskBus.IDE);
        assertEquals("cdrom", x(ide, "//disk[source/@file='" + DIR.resolve("cidata.iso") + "']/@device"));
        assertEquals("raw", x(ide, "//disk[@device='cdrom']/driver/@type"));
        assertEquals("ide", x(ide, "//disk[@device='cdrom']/target/@bus"));
        assertEquals("0", x(ide, "//disk[@device='cdrom']/address/@bus"));
        assertEquals("1", x(ide, "//disk[@device='cdrom']/address/@unit"), "the slave of the first channel");
        assertEquals(0, count(ide, "//disk[@device='cdrom']/boot"), "out of the boot order");
        assertEquals("1", x(ide, "//disk[@device='disk']/boot/@order"));
        assertEquals("scsi", x(withSeed(DiskBus.PVSCSI), "//disk[@device='cdrom']/target/@bus"));
        assertEquals(0, count(withSeed(DiskBus.VIRTIO), "//disk[@device='cdrom']"), "a read-only virtio disk");
        assertEquals(1, count(withSeed(DiskBus.VIRTIO), "//disk[@device='disk']/readonly"));
    }

    @Test
    void nvmeDisksAreDeclaredOnSataAndMadeNvmeByLibvirtsQemuOverride() throws Exception {
        String text = DomainXml.build(new MachineSpec(ID, null, DIR, 1, 256, List.of(new MachineSpec.Disk(DIR.resolve("disk0.qcow2"), DiskBus.NVME),
                new MachineSpec.Disk(DIR.resolve("cidata.iso"), DiskBus.NVME, true)), Firmware.BIOS, null, null, null, List.of(), false, false),
                Accelerator.TCG, "o");
        Document d = xml(new MachineSpec(ID, null, DIR, 1, 256, List.of(new MachineSpec.Disk(DIR.resolve("disk0.qcow2"), DiskBus.NVME),
                new MachineSpec.Disk(DIR.resolve("cidata.iso"), DiskBus.NVME, true)), Firmware.BIOS, null, null, null, List.of(), false, false),
                Accelerator.TCG);
        assertEquals("ua-hangar-nvme0", x(d, "//disk[@device='disk']/alias/@name"));
        assertEquals("1", x(d, "//disk[@device='disk']/address/@controller"), "not a port of the machine's own SATA controller");
        assertEquals("0", x(d, "//disk[@device='cdrom']/address/@controller"), "the seed is on the machine's SATA controller");
        assertTrue(text.contains("xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\""), text);
        assertEquals("ua-hangar-nvme0", x(d, "/domain/override/device/@alias"));
        assertEquals("nvme", x(d, "/domain/override/device/frontend/property[@name='driver']/@value"));
        assertEquals("pcie.0", x(d, "/domain/override/device/frontend/property[@name='bus']/@value"));
        assertEquals("hangar0", x(d, "/domain/override/device/frontend/property[@name='serial']/@value"), "the QEMU driver's serial");
    }

    @Test
    void mptsasDisksCarryTheSasAddressesTheQemuDriverGives() throws Exception {
        Document d = withSeed(DiskBus.SAS1068);
        assertEquals(dev.hangar.hypervisor.DiskLayout.sasAddress(ID, 0).substring(2), x(d, "//disk[@device='disk']/wwn"));
        assertEquals(dev.hangar.hypervisor.DiskLayout.sasAddress(ID, 1).substring(2), x(d, "//disk[@device='cdrom']/wwn"));
        assertEquals("1", x(d, "//disk[@device='cdrom']/address/@target"), "target 1, as QEMU's scsi-id=1");
        assertEquals("0", x(d, "//disk[@device='cdrom']/address/@unit"), "libvirt makes the unit the LUN on lsisas1068");
        Document lsi = withSeed(DiskBus.LSI);
        assertEquals("1", x(lsi, "//disk[@device='cdrom']/address/@unit"), "and the SCSI id on lsilogic");
        assertEquals("0", x(lsi, "//disk[@device='cdrom']/address/@target"));
    }

    @Test
    void vmwareHardwareMapsAsUnderTheQemuDriver() throws Exception {
        MachineSpec s = new MachineSpec(ID, null, DIR, 1, 256, List.of(new MachineSpec.Disk(DIR.resolve("disk0.qcow2"), DiskBus.SAS1068)),
                Firmware.EFI, null, null, null, List.of(new MachineSpec.Nic(NicModel.VMXNET3, "52:54:00:00:00:03", NetAttachment.user())), true, false);
        Document d = xml(s, Accelerator.TCG);
        assertEquals("lsisas1068", x(d, "//controller[@type='scsi']/@model"), "QEMU's mptsas1068");
        assertEquals("vmxnet3", x(d, "//interface/model/@type"));
        assertEquals("user", x(d, "//interface/@type"));
        assertEquals("pflash", x(d, "/domain/os/loader/@type"));
        assertEquals(DIR.resolve("OVMF_VARS.fd").toString(), x(d, "/domain/os/nvram"));
        assertEquals("vnc", x(d, "//graphics/@type"));
        assertEquals("socket", x(d, "//graphics/listen/@type"), "VNC on a Unix socket libvirt places in the domain's private directory");
        assertEquals("", x(d, "//graphics/@listen"), "no TCP address");
        assertEquals(0, count(d, "//graphics/@port") + count(d, "//graphics/@autoport"), "no TCP port");
        assertEquals("pc", x(xml(new MachineSpec(ID, null, DIR, 1, 256, List.of(new MachineSpec.Disk(DIR.resolve("d.qcow2"), DiskBus.IDE)),
                null, null, null, null, List.of(), false, false), Accelerator.TCG), "/domain/os/type/@machine"), "IDE needs i440fx");
        assertTrue(DomainXml.build(s, Accelerator.TCG, "o").contains("hangar:vm"));
    }

    @Test
    void givenAUserOfItsOwnTheDomainRunsAsItAndTheSharedGoldIsNeverRelabelled() throws Exception {
        Path gold = Path.of("/data/images/sha256-ab/disk0.qcow2");
        String text = DomainXml.build(host("a"), Accelerator.TCG, "o", java.util.Optional.of(new dev.hangar.process.QemuUsers.Ids(1_900_000_042, 995)),
                disk -> disk.getFileName().toString().equals("blank0.qcow2") ? java.util.Optional.of(gold) : java.util.Optional.empty());
        Document d = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals("static", x(d, "/domain/seclabel/@type"));
        assertEquals("dac", x(d, "/domain/seclabel/@model"));
        assertEquals("+1900000042:+995", x(d, "/domain/seclabel/label"), "a uid no other domain shares");
        assertEquals("yes", x(d, "/domain/seclabel/@relabel"), "libvirt gives the domain its own files (and its private ones)");
        String chain = "//disk[source/@file='" + DIR.resolve("blank0.qcow2") + "']/backingStore";
        assertEquals(gold.toString(), x(d, chain + "/source/@file"), "the clone's backing file, written out");
        assertEquals("no", x(d, chain + "/source/seclabel/@relabel"), "and never relabelled: every clone of the gold shares it");
        assertEquals(1, count(d, chain + "/backingStore"), "the gold ends the chain");
        assertEquals(0, count(xml(host("a"), Accelerator.TCG), "/domain/seclabel"), "without a user: libvirt's own user and labels");
    }
}
