package dev.hangar.hypervisor;

import dev.hangar.core.vms.MachineDriver;
import dev.hangar.core.vms.MachineStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A driver whose machines keep their serial console on a socket in their directory, with its log beside
 * it, and their VNC server on a Unix socket: both drivers' machines. The console and screen are read the
 * same way whoever started the machine.
 */
public interface SocketConsoles extends MachineDriver {
    @Override
    default String console(Path dir) {
        return ConsoleLog.tail(dir.resolve(MachineFiles.SERIAL_LOG));
    }

    @Override
    default MachineStream openConsole(Path dir) throws IOException {
        return SocketStream.serialConsole(dir);
    }

    @Override
    default MachineStream openScreen(Path dir) throws IOException {
        return SocketStream.vnc(vncAddress(dir));
    }
}
