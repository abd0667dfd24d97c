package dev.hangar.core.vms;

import java.io.Closeable;
import java.io.IOException;

/** A live two-way byte stream to one device of a running machine: its serial console, or its VNC server. */
public interface MachineStream extends Closeable {
    /** Reads what the machine sent into the buffer, blocking until some came; -1 once the stream ended. */
    int read(byte[] buffer) throws IOException;

    /** Sends these bytes to the machine (keys typed into its console, a VNC client's messages). */
    void write(byte[] bytes) throws IOException;

    /** Ends the stream; a read blocked in another thread returns -1 or throws. */
    @Override
    void close();
}
