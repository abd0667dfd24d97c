package dev.hangar.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.cli.ServeCommand;
import dev.hangar.process.Command;
import dev.hangar.testing.SystemdUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The systemd unit the Debian package installs (src/deb/files/hangar.service). */
class HangarServiceUnitTest {
    private static final Path UNIT = Path.of("src/deb/files/hangar.service");

    @Test
    void systemdReadsEveryLineOfIt(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze (Debian's systemd) is not installed");
        // verify insists that ExecStart's program exists, and /usr/bin/hangar only does once the package is
        // installed (DebPackageEndToEndTest verifies the installed unit as it is); every other line is kept.
        Path unit = dir.resolve("hangar.service");
        Files.writeString(unit, Files.readString(UNIT).replace("ExecStart=/usr/bin/hangar ", "ExecStart=/bin/true "));
        Command.Result verify = Command.run(List.of("systemd-analyze", "verify", unit.toString()), Duration.ofSeconds(60));
        // verify exits 0 on an unknown key or a bad value, and says so: silence is the only pass.
        assertEquals(0, verify.exitCode(), verify.stderr());
        assertEquals("", verify.stdout() + verify.stderr());
    }

    @Test
    void runsServeWithTheDefaultsAndLetsVmsOutliveARestart() throws Exception {
        SystemdUnit unit = SystemdUnit.parse(Files.readString(UNIT));
        assertEquals("/usr/bin/hangar serve --config /etc/hangar/hangar.json", unit.get("Service", "ExecStart"));
        assertEquals("on-failure", unit.get("Service", "Restart"));
        // The JVM's exit on SIGTERM (128 + 15): without it every systemctl stop would leave the unit failed.
        assertEquals("143", unit.get("Service", "SuccessExitStatus"));
        // QEMU, dnsmasq and Open vSwitch are detached children the next service adopts: systemd must not end them.
        assertEquals("process", unit.get("Service", "KillMode"));
        assertEquals("multi-user.target", unit.get("Install", "WantedBy"));
    }

    @Test
    void theShippedConfigSaysServesOwnDefaultAddress() throws Exception {
        // The file is there to show an operator where options go; it must not change what serve does.
        JsonNode config = new ObjectMapper().readTree(Files.readString(Path.of("src/deb/files/hangar.json")));
        CommandSpec serve = new CommandLine(new ServeCommand()).getCommandSpec();
        assertEquals(List.of("listen"), config.properties().stream().map(java.util.Map.Entry::getKey).toList());
        assertEquals(serve.findOption("--listen").defaultValue(), config.get("listen").asText());
    }
}
