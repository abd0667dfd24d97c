package dev.hangar.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {
    @Test
    void listenTakesHostAndPort() throws Exception {
        InetSocketAddress a = ServeCommand.parseListen("127.0.0.1:12345");
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertEquals(12345, a.getPort());
        assertEquals(8080, ServeCommand.parseListen("[::1]:8080").getPort());
        assertThrows(IllegalArgumentException.class, () -> ServeCommand.parseListen("nohost"));
    }

    @Test
    void aBadOptionIsAOneLineErrorAndMakesNothing(@TempDir Path dir) {
        Path data = dir.resolve("data");
        for (String[] bad : new String[][] {
                {"--network-mode", "wifi"}, {"--nat-subnet", "10.0.0.0/16"}, {"--max-image-size", "5gb"},
                {"--accel", "xen"}, {"--listen", "0.0.0.0:12345"}, {"--vm-lib", dir.resolve("no-such-library").toString()}}) {
            String[] args = new String[bad.length + 2];
            args[0] = "--data-dir";
            args[1] = data.toString();
            System.arraycopy(bad, 0, args, 2, bad.length);
            assertEquals(2, new CommandLine(new ServeCommand()).execute(args), String.join(" ", bad));
            assertFalse(Files.exists(data), "nothing is made for " + String.join(" ", bad));
        }
    }

    @Test
    void aVmLibThatIsNoDirectoryIsAStartUpErrorNamingIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path file = Files.writeString(dir.resolve("vmlib.txt"), "not a directory");
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), "--vm-lib", file.toString());
        } finally {
            System.setErr(saved);
        }
        String said = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, said);
        org.junit.jupiter.api.Assertions.assertTrue(said.contains("--vm-lib") && said.contains(file.toString()), said);
        assertFalse(Files.exists(data), "nothing is made");
    }

    @Test
    void aLibvirtThatCannotBeReachedIsAStartUpErrorNamingItsUri(@TempDir Path dir) {
        Path data = dir.resolve("data");
        java.io.StringWriter err = new java.io.StringWriter();
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), "--driver", "libvirt",
                    "--libvirt-uri", "qemu:///system?socket=" + dir.resolve("no-libvirtd.sock"));
        } finally {
            System.setErr(saved);
        }
        String said = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, said);
        org.junit.jupiter.api.Assertions.assertTrue(said.contains("cannot connect to libvirt at qemu:///system?socket="), said);
        org.junit.jupiter.api.Assertions.assertFalse(said.contains("\tat "), "no stack trace: " + said);
        assertFalse(Files.exists(data.resolve("hangar.db")), "nothing is opened");
    }

    @Test
    void aRegularFileAtTheInfrakitSocketPathIsAStartUpErrorNamingIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path file = Files.writeString(dir.resolve("vmware-fusion"), "not a socket");
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new ServeCommand()).execute("--data-dir", data.toString(), "--infrakit-socket", file.toString());
        } finally {
            System.setErr(saved);
        }
        String said = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, said);
        org.junit.jupiter.api.Assertions.assertTrue(said.contains(file + " exists and is not a socket"), said);
        assertFalse(Files.exists(data), "nothing is made");
        assertEquals("not a socket", Files.readString(file), "the file is left as it was");
    }
}
