package dev.hangar.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hangar.core.HangarException;
import dev.hangar.core.images.MachineProfile.DiskBus;
import dev.hangar.core.images.MachineProfile.Firmware;
import dev.hangar.core.images.MachineProfile.NicModel;
import dev.hangar.core.images.MachineProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OvfDescriptorTest {
    /** Trimmed from what VMware's ovftool writes for a one-disk Linux VM. */
    static final String VMWARE_OVF = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Envelope vmw:buildId="build-123" xmlns="http://schemas.dmtf.org/ovf/envelope/1"
                xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
                xmlns:vmw="http://www.vmware.com/schema/ovf"
                xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
              <References>
                <File ovf:href="box-disk2.vmdk" ovf:id="file2" ovf:size="1000"/>
                <File ovf:href="box-disk1.vmdk" ovf:id="file1" ovf:size="68096"/>
              </References>
              <DiskSection>
                <Info>Virtual disk information</Info>
                <Disk ovf:capacity="16" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1"
                      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
                <Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk2" ovf:fileRef="file2"/>
              </DiskSection>
              <VirtualSystem ovf:id="box">
                <Info>A virtual machine</Info>
                <OperatingSystemSection ovf:id="94" vmw:osType="ubuntu64Guest">
                  <Info>The kind of installed guest operating system</Info>
                </OperatingSystemSection>
                <VirtualHardwareSection>
                  <Info>Virtual hardware requirements</Info>
                  <Item>
                    <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
                    <rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>
                    <rasd:InstanceID>1</rasd:InstanceID>
                    <rasd:ResourceType>3</rasd:ResourceType>
                    <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
                  </Item>
                  <Item>
                    <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
                    <rasd:ElementName>2048MB of memory</rasd:ElementName>
                    <rasd:InstanceID>2</rasd:InstanceID>
                    <rasd:ResourceType>4</rasd:ResourceType>
                    <rasd:VirtualQuantity>2048</rasd:VirtualQuantity>
                  </Item>
                  <Item>
                    <rasd:Address>0</rasd:Address>
                    <rasd:ElementName>IDE 0</rasd:ElementName>
                    <rasd:InstanceID>3</rasd:InstanceID>
                    <rasd:ResourceType>5</rasd:ResourceType>
                  </Item>
                  <Item>
                    <rasd:Address>0</rasd:Address>
                    <rasd:ElementName>SCSI controller 0</rasd:ElementName>
                    <rasd:InstanceID>4</rasd:InstanceID>
                    <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
                    <rasd:ResourceType>6</rasd:ResourceType>
                  </Item>
                  <Item>
                    <rasd:AddressOnParent>0</rasd:AddressOnParent>
                    <rasd:ElementName>Hard disk 1</rasd:ElementName>
                    <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
                    <rasd:InstanceID>5</rasd:InstanceID>
                    <rasd:Parent>4</rasd:Parent>
                    <rasd:ResourceType>17</rasd:ResourceType>
                  </Item>
                  <Item>
                    <rasd:AddressOnParent>7</rasd:AddressOnParent>
                    <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
                    <rasd:Connection>VM Network</rasd:Connection>
                    <rasd:ElementName>Network adapter 1</rasd:ElementName>
                    <rasd:InstanceID>6</rasd:InstanceID>
                    <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
                    <rasd:ResourceType>10</rasd:ResourceType>
                  </Item>
                  <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
                </VirtualHardwareSection>
              </VirtualSystem>
            </Envelope>
            """;

    @Test
    void readsDisksAndHardwareOfAVmwareOvf() {
        OvfDescriptor ovf = OvfDescriptor.parse(VMWARE_OVF.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("box-disk1.vmdk", "box-disk2.vmdk"), ovf.diskFiles(), "in DiskSection order, not References order");
        MachineProfile p = ovf.profile();
        assertEquals(2, p.cpus());
        assertEquals(2048, p.memoryMib());
        assertEquals("ubuntu64Guest", p.guestOs());
        assertEquals(NicModel.VMXNET3, p.nic());
        assertEquals(DiskBus.LSI, p.diskBus(), "the bus of the controller the first disk hangs on, not the IDE one");
        assertEquals(Firmware.EFI, p.firmware());
    }

    @Test
    void memoryInGibAndASataDiskFromVirtualBox() {
        String ovf = """
                <?xml version="1.0"?>
                <Envelope ovf:version="1.0" xmlns="http://schemas.dmtf.org/ovf/envelope/1"
                    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
                  <References><File ovf:id="file1" ovf:href="alpine-disk001.vmdk"/></References>
                  <DiskSection><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1"/></DiskSection>
                  <VirtualSystem ovf:id="alpine">
                    <OperatingSystemSection ovf:id="101"><Description>Linux26_64</Description></OperatingSystemSection>
                    <VirtualHardwareSection>
                      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
                      <Item><rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID>
                            <rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
                      <Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>AHCI</rasd:ResourceSubType><rasd:ResourceType>20</rasd:ResourceType></Item>
                      <Item><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
                      <Item><rasd:HostResource>/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>7</rasd:InstanceID>
                            <rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """;
        OvfDescriptor d = OvfDescriptor.parse(ovf.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("alpine-disk001.vmdk"), d.diskFiles());
        assertEquals(1, d.profile().cpus());
        assertEquals(2048, d.profile().memoryMib());
        assertEquals(DiskBus.SATA, d.profile().diskBus());
        assertEquals(NicModel.E1000, d.profile().nic());
        assertEquals("Linux26_64", d.profile().guestOs(), "without vmw:osType the description names the OS");
    }

    @Test
    void memoryInUnitsPastALongIsNoOpinionNotACrash() {
        for (String units : java.util.List.of("byte * 2^99999999999", "byte * 2^70")) {
            String ovf = "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\""
                    + " xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\">"
                    + "<VirtualSystem ovf:id=\"x\"><VirtualHardwareSection><Item><rasd:AllocationUnits>" + units + "</rasd:AllocationUnits>"
                    + "<rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity>"
                    + "</Item></VirtualHardwareSection></VirtualSystem></Envelope>";

            assertNull(OvfDescriptor.parse(ovf.getBytes(StandardCharsets.UTF_8)).profile().memoryMib(), units);
        }
    }

    @Test
    void refusesDoctypesSoExternalEntitiesAreNeverRead(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "top-secret");
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE Envelope [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">]>\n"
                + "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"><VirtualSystem>"
                + "<OperatingSystemSection><Description>&x;</Description></OperatingSystemSection>"
                + "</VirtualSystem></Envelope>";

        HangarException e = assertThrows(HangarException.class, () -> OvfDescriptor.parse(xxe.getBytes(StandardCharsets.UTF_8)));
        assertEquals("image-format-unsupported", e.code());
        assertFalse(e.getMessage().contains("top-secret"));
    }

    @Test
    void notXmlIsUnsupported() {
        HangarException e = assertThrows(HangarException.class, () -> OvfDescriptor.parse("not xml".getBytes(StandardCharsets.UTF_8)));
        assertEquals("image-format-unsupported", e.code());
    }
}
