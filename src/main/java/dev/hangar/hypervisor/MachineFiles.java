package dev.hangar.hypervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The files of a machine in its VM's directory, the same under every driver, so a console, an agent
 * or a test finds them wherever the machine runs: the serial console's socket and log, the guest
 * agent's socket, the UEFI variables. And the firmware they come from.
 */
public final class MachineFiles {
    public static final String SERIAL_SOCKET = "serial.sock";
    public static final String SERIAL_LOG = "serial.log";
    public static final String AGENT_SOCKET = "qga.sock";
    public static final String VARS_FILE = "OVMF_VARS.fd";
    public static final Path OVMF_CODE = Path.of("/usr/share/OVMF/OVMF_CODE.fd");
    private static final Path OVMF_VARS_TEMPLATE = Path.of("/usr/share/OVMF/OVMF_VARS.fd");

    private MachineFiles() {}

    /** The machine's own copy of the UEFI variables, made from OVMF's template the first time. */
    public static void ensureUefiVariables(Path dir) throws IOException {
        if (!Files.exists(dir.resolve(VARS_FILE))) {
            Files.copy(OVMF_VARS_TEMPLATE, dir.resolve(VARS_FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
