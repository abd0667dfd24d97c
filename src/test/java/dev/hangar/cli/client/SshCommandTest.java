package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.cli.Main;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * How `hangar vm ssh` turns a VM into an ssh command line. The test guest has no sshd, so the end-to-end
 * test cannot log in; these pin the arguments handed to the real ssh.
 */
class SshCommandTest {
    private static final Path KNOWN = Path.of("/home/u/.config/hangar/known_hosts");
    private static final String ID = "0f8e2c1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    private static JsonNode vm(String status, String ip, String tags) throws Exception {
        return HangarClient.JSON.readTree("{\"id\": \"" + ID + "\", \"name\": \"web1\", \"status\": \"" + status
                + "\", \"ip_address\": \"" + ip + "\", \"tags\": " + tags + "}");
    }

    private static final List<String> COMMON = List.of("ssh", "-o", "StrictHostKeyChecking=accept-new",
            "-o", "UserKnownHostsFile=" + KNOWN, "-o", "HostKeyAlias=hangar-" + ID);

    private static List<String> with(String... rest) {
        List<String> all = new java.util.ArrayList<>(COMMON);
        all.addAll(List.of(rest));
        return all;
    }

    @Test
    void theVmsTagsSayWhoAndWhereAndTheHostKeyIsKeptUnderTheVmsId() throws Exception {
        JsonNode v = vm("powered-on", "10.213.0.7", "{\"ssh_user\": \"debian\", \"ssh_port\": \"2222\"}");
        assertEquals(with("-p", "2222", "-l", "debian", "--", "10.213.0.7"), SshCommand.argv(v, "ssh", null, null, null, KNOWN, List.of()));
    }

    @Test
    void flagsOverrideTheTagsAndACommandFollowsTheAddress() throws Exception {
        JsonNode v = vm("powered-on", "10.213.0.7", "{\"ssh_user\": \"debian\"}");
        assertEquals(with("-p", "22", "-i", "/k/id", "-l", "root", "--", "10.213.0.7", "uname", "-a"),
                SshCommand.argv(v, "ssh", "root", 22, Path.of("/k/id"), KNOWN, List.of("uname", "-a")));
    }

    @Test
    void withoutATagOrFlagSshChoosesTheUser() throws Exception {
        assertEquals(with("--", "10.213.0.7"), SshCommand.argv(vm("powered-on", "10.213.0.7", "{}"), "ssh", null, null, null, KNOWN, List.of()));
    }

    @Test
    void aUserOrCommandThatLooksLikeAnOptionStaysAnArgument() throws Exception {
        // "--" before the address: ssh reads "-oProxyCommand=..." as the remote command's word, not an option.
        List<String> argv = SshCommand.argv(vm("powered-on", "10.213.0.7", "{}"), "ssh", null, null, null, KNOWN,
                List.of("-oProxyCommand=touch /tmp/x"));
        assertEquals(List.of("--", "10.213.0.7", "-oProxyCommand=touch /tmp/x"), argv.subList(argv.size() - 3, argv.size()));
    }

    @Test
    void aVmThatIsNotRunningOrHasNoAddressIsRefusedClearly() throws Exception {
        HangarClient.Failure off = assertThrows(HangarClient.Failure.class,
                () -> SshCommand.argv(vm("powered-off", "10.213.0.7", "{}"), "ssh", null, null, null, KNOWN, List.of()));
        assertEquals("vm-not-running", off.code());
        assertEquals("VM web1 (" + ID + ") is powered-off, not powered-on; start it first", off.getMessage());
        HangarClient.Failure creating = assertThrows(HangarClient.Failure.class,
                () -> SshCommand.argv(vm("creating", "", "{}"), "ssh", null, null, null, KNOWN, List.of()));
        assertEquals("vm-not-running", creating.code());
        HangarClient.Failure noIp = assertThrows(HangarClient.Failure.class,
                () -> SshCommand.argv(vm("powered-on", "", "{}"), "ssh", null, null, null, KNOWN, List.of()));
        assertEquals("vm-has-no-address", noIp.code());
        HangarClient.Failure badPort = assertThrows(HangarClient.Failure.class,
                () -> SshCommand.argv(vm("powered-on", "10.0.0.1", "{\"ssh_port\": \"22; rm\"}"), "ssh", null, null, null, KNOWN, List.of()));
        assertEquals("invalid-ssh-port", badPort.code());
    }

    @Test
    void theKnownHostsLiveInTheUsersHangarConfigDirectory() {
        assertEquals(Path.of("/x/cfg/hangar"), SshCommand.configDir(Map.of("XDG_CONFIG_HOME", "/x/cfg")));
        assertEquals(Path.of(System.getProperty("user.home"), ".config", "hangar"), SshCommand.configDir(Map.of()));
    }

    @Test
    void wordsAfterTheDoubleDashAreTheRemoteCommand() {
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs("vm", "ssh", "web1", "--user", "debian", "--", "ls", "-l", "/");
        SshCommand ssh = (SshCommand) parsed.subcommand().subcommand().commandSpec().userObject();
        assertEquals("web1", ssh.vm);
        assertEquals("debian", ssh.user);
        assertEquals(List.of("ls", "-l", "/"), ssh.command);
    }
}
