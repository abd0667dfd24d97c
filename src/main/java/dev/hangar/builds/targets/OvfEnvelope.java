package dev.hangar.builds.targets;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The OVF 1.0 descriptor of an OVA holding one streamOptimized disk, laid out as VMware's ovftool writes
 * it (so vSphere, VirtualBox and Hangar's own reader, images/OvfDescriptor, all take it): one virtual
 * system with CPUs, memory, a SATA controller with the disk, and an e1000 NIC on "VM Network".
 */
final class OvfEnvelope {
    static final String STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";

    private OvfEnvelope() {}

    /**
     * @param stem a safe file stem (no XML escaping needed), names the virtual system
     * @param vmdkName the disk's file name in the OVA
     * @param vmdkBytes the size of that file
     * @param capacityBytes the disk's virtual size
     */
    static byte[] descriptor(String stem, String vmdkName, long vmdkBytes, long capacityBytes, VirtualHardware hw) {
        String text = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" \
                xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" \
                xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" \
                xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
                  <References>
                    <File ovf:href="%1$s" ovf:id="file1" ovf:size="%2$d"/>
                  </References>
                  <DiskSection>
                    <Info>Virtual disk information</Info>
                    <Disk ovf:capacity="%3$d" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="%4$s"/>
                  </DiskSection>
                  <NetworkSection>
                    <Info>The list of logical networks</Info>
                    <Network ovf:name="VM Network">
                      <Description>The VM Network network</Description>
                    </Network>
                  </NetworkSection>
                  <VirtualSystem ovf:id="%5$s">
                    <Info>A virtual machine</Info>
                    <Name>%5$s</Name>
                    <OperatingSystemSection ovf:id="%6$d" vmw:osType="%7$s">
                      <Info>The kind of installed guest operating system</Info>
                    </OperatingSystemSection>
                    <VirtualHardwareSection>
                      <Info>Virtual hardware requirements</Info>
                      <System>
                        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
                        <vssd:InstanceID>0</vssd:InstanceID>
                        <vssd:VirtualSystemIdentifier>%5$s</vssd:VirtualSystemIdentifier>
                        <vssd:VirtualSystemType>vmx-%8$02d</vssd:VirtualSystemType>
                      </System>
                      <Item>
                        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
                        <rasd:Description>Number of Virtual CPUs</rasd:Description>
                        <rasd:ElementName>%9$d virtual CPU(s)</rasd:ElementName>
                        <rasd:InstanceID>1</rasd:InstanceID>
                        <rasd:ResourceType>3</rasd:ResourceType>
                        <rasd:VirtualQuantity>%9$d</rasd:VirtualQuantity>
                      </Item>
                      <Item>
                        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
                        <rasd:Description>Memory Size</rasd:Description>
                        <rasd:ElementName>%10$dMB of memory</rasd:ElementName>
                        <rasd:InstanceID>2</rasd:InstanceID>
                        <rasd:ResourceType>4</rasd:ResourceType>
                        <rasd:VirtualQuantity>%10$d</rasd:VirtualQuantity>
                      </Item>
                      <Item>
                        <rasd:Address>0</rasd:Address>
                        <rasd:Description>SATA Controller</rasd:Description>
                        <rasd:ElementName>sataController0</rasd:ElementName>
                        <rasd:InstanceID>3</rasd:InstanceID>
                        <rasd:ResourceSubType>vmware.sata.ahci</rasd:ResourceSubType>
                        <rasd:ResourceType>20</rasd:ResourceType>
                      </Item>
                      <Item>
                        <rasd:AddressOnParent>0</rasd:AddressOnParent>
                        <rasd:ElementName>disk0</rasd:ElementName>
                        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
                        <rasd:InstanceID>4</rasd:InstanceID>
                        <rasd:Parent>3</rasd:Parent>
                        <rasd:ResourceType>17</rasd:ResourceType>
                      </Item>
                      <Item>
                        <rasd:AddressOnParent>0</rasd:AddressOnParent>
                        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
                        <rasd:Connection>VM Network</rasd:Connection>
                        <rasd:Description>E1000 ethernet adapter on &quot;VM Network&quot;</rasd:Description>
                        <rasd:ElementName>ethernet0</rasd:ElementName>
                        <rasd:InstanceID>5</rasd:InstanceID>
                        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
                        <rasd:ResourceType>10</rasd:ResourceType>
                      </Item>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """.formatted(vmdkName, vmdkBytes, capacityBytes, STREAM_OPTIMIZED, stem,
                cimOsType(hw.vmwareGuestOs()), vmwareOsType(hw.vmwareGuestOs()), VmwareBox.HARDWARE_VERSION,
                hw.cpus(), hw.memoryMib());
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * OVF names VMware guests by their API id ({@code otherLinux64Guest}), where the .vmx has
     * {@code otherlinux-64}: the common Linux ones are mapped, others pass as the .vmx has them.
     */
    static String vmwareOsType(String vmxGuestOs) {
        return switch (vmxGuestOs.toLowerCase(Locale.ROOT)) {
            case "otherlinux-64" -> "otherLinux64Guest";
            case "otherlinux" -> "otherLinuxGuest";
            case "other5xlinux-64" -> "other5xLinux64Guest";
            case "debian12-64" -> "debian12_64Guest";
            case "debian11-64" -> "debian11_64Guest";
            case "ubuntu-64" -> "ubuntu64Guest";
            default -> vmxGuestOs;
        };
    }

    /** The DMTF CIM OS type: 101 is "Linux 64-Bit", 36 "LINUX", as ovftool writes for Linux guests. */
    private static int cimOsType(String vmxGuestOs) {
        return vmxGuestOs.endsWith("-64") ? 101 : 36;
    }
}
