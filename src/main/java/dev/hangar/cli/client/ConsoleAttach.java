package dev.hangar.cli.client;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code hangar vm console --attach}: the VM's serial console, two ways, over its WebSocket, as virsh
 * console does it. Keys go to the guest as they are typed (the terminal in raw mode, restored after);
 * Ctrl-] detaches. When standard input is not a terminal, what it holds is typed, and the session ends
 * a moment after it ends, once the guest has been quiet for {@link #QUIET_MILLIS}.
 */
final class ConsoleAttach {
    /** Ctrl-], as virsh and telnet use it. */
    static final int DETACH = 0x1d;
    static final long QUIET_MILLIS = 1500;

    private final HangarClient client;
    private final PrintStream out;
    private final PrintStream err;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    /** Set when the service, not this side, ended the console: the VM stopped, or the service went away. */
    private volatile boolean lost;
    private volatile long lastOutput = System.nanoTime();

    ConsoleAttach(HangarClient client, PrintStream out, PrintStream err) {
        this.client = client;
        this.out = out;
        this.err = err;
    }

    /** Attaches until Ctrl-], the end of input (then quiet), or the VM's end; the exit status: 0, or 1 when the console was lost. */
    int run(String vmId, InputStream in, boolean terminal) throws IOException, InterruptedException {
        // Raw before the first byte arrives: the console's past may ask the terminal a question (where is the
        // cursor?), and the terminal's answer is for the guest, not for a cooked line echoed on the screen.
        String saved = terminal ? stty("-g").strip() : null;
        try {
            if (terminal) {
                stty("raw", "-echo");
                err.print("Attaching to the console of VM " + vmId + "; Ctrl-] detaches.\r\n");
            }
            WebSocket ws = client.webSocket("/vms/" + vmId + "/console/ws", new Printer());
            Thread typing = Thread.ofVirtual().start(() -> type(ws, in));
            while (!ended.isDone()) {
                if (!typing.isAlive() && !terminal && System.nanoTime() - lastOutput > TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) break;
                Thread.sleep(100);
            }
            if (lost) {
                err.print("\r\nThe console closed: the VM stopped, or the service ended the connection.\r\n");
                return 1;
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
            return 0;
        } finally {
            if (saved != null) {
                stty(saved);
                err.println();
                err.println("Detached from the console of VM " + vmId + ".");
            }
        }
    }

    /** Standard input to the guest, a read at a time, until Ctrl-] or its end. */
    private void type(WebSocket ws, InputStream in) {
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) > 0 && !ended.isDone(); ) {
                int detach = indexOf(buffer, n, DETACH);
                if (detach >= 0) n = detach;
                if (n > 0) ws.sendBinary(ByteBuffer.wrap(Arrays.copyOf(buffer, n)), true).join();
                if (detach >= 0) {
                    ended.complete(null);
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            ended.complete(null);
        }
    }

    static int indexOf(byte[] bytes, int length, int wanted) {
        for (int i = 0; i < length; i++) if ((bytes[i] & 0xff) == wanted) return i;
        return -1;
    }

    /** The guest's output to standard output, as it comes. */
    private final class Printer implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            out.write(bytes, 0, bytes.length);
            out.flush();
            lastOutput = System.nanoTime();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            if (!ended.isDone()) lost = true;
            ended.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            if (!ended.isDone()) lost = true;
            ended.complete(null);
        }
    }

    /** stty on the controlling terminal, from an argument list; its output (for -g, the settings to restore). */
    private static String stty(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "stty";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectInput(new File("/dev/tty")).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("stty " + String.join(" ", args) + " failed: " + output.strip());
        return output;
    }
}
