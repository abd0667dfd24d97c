package dev.hangar.hypervisor;

import dev.hangar.core.vms.MachineStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A machine's device on a Unix socket the hypervisor serves (QEMU's serial chardev, its VNC server,
 * the same under libvirt), as a {@link MachineStream}. QEMU serves its serial socket to one client at a
 * time: a second one connects, but hears nothing until the first leaves.
 */
public final class SocketStream implements MachineStream {
    private final SocketChannel channel;

    private SocketStream(SocketChannel channel) {
        this.channel = channel;
    }

    /** Connects; an IOException when nothing listens there (the machine is not running). */
    public static SocketStream open(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new SocketStream(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public int read(byte[] buffer) throws IOException {
        return channel.read(ByteBuffer.wrap(buffer));
    }

    @Override
    public void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) channel.write(b);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a Unix socket does not fail in a way anyone can act on
        }
    }

    /** The serial console of the machine in this directory: both drivers put its socket in the same place. */
    public static SocketStream serialConsole(Path dir) throws IOException {
        return open(dir.resolve(MachineFiles.SERIAL_SOCKET));
    }

    /** The VNC server at an address as drivers give it ({@code unix:/path/vnc.sock}). */
    public static SocketStream vnc(java.util.Optional<String> address) throws IOException {
        String a = address.orElse("");
        if (!a.startsWith("unix:")) throw new IOException("the machine has no VNC server on a Unix socket");
        return open(Path.of(a.substring("unix:".length())));
    }
}
