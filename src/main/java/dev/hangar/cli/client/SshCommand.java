package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar vm ssh}: the system's ssh to a VM's address. Hangar does not put keys or users into
 * guests, so the VM says how to log in through its tags, which a template or group sets once for every
 * VM of an image: {@code ssh_user} (else ssh's own default: ~/.ssh/config, then the local user) and
 * {@code ssh_port}; {@code --user} and {@code --port} override them. Host keys are kept under the VM's
 * id, not its address, in a known_hosts file of Hangar's own: addresses are reused by later VMs, and a
 * new VM's key is a new key, not an attack.
 */
@Command(name = "ssh", mixinStandardHelpOptions = true,
        description = {"Open an ssh session to a running VM at its address, or run a command there.",
                "The user is --user, else the VM's tag ssh_user, else ssh's own default (~/.ssh/config, then your user name); "
                        + "the port is --port, else the tag ssh_port, else 22. A VM's host key is accepted the first time and "
                        + "checked after that, kept under the VM's id in CONFIG-DIR/known_hosts "
                        + "($XDG_CONFIG_HOME/hangar, else ~/.config/hangar)."},
        footer = {"", "Examples:", "  hangar vm ssh web1", "  hangar vm ssh web1 --user debian -i ~/.ssh/hangar_ed25519",
                "  hangar vm ssh web1 -- uname -a",
                "  hangar vm create --image URL --checksum HEX --tag ssh_user=debian \\",
                "      --user-data keys.yaml --wait",
                "", "Exit status: ssh's own (the remote command's, or 255 when ssh fails); 1 when the VM has no address or "
                        + "is not running (the error's code and message), 2 usage."})
final class SshCommand extends ClientCommand {
    /** The tags a VM (or its template) names its login with. */
    static final String USER_TAG = "ssh_user";
    static final String PORT_TAG = "ssh_port";

    @Parameters(index = "0", paramLabel = "ID|NAME", description = "the VM's id or name")
    String vm;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "a command to run instead of a login shell (after --); "
            + "ssh joins its words and the guest's shell reads them")
    List<String> command = new ArrayList<>();

    @Option(names = {"-l", "--user"}, paramLabel = "USER", description = "log in as USER (default: the VM's tag " + USER_TAG + ")")
    String user;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "the guest's ssh port (default: the VM's tag " + PORT_TAG + ", else 22)")
    Integer port;

    @Option(names = {"-i", "--identity"}, paramLabel = "FILE", description = "the private key to offer (ssh's -i)")
    Path identity;

    @Option(names = "--ssh", paramLabel = "PROGRAM", defaultValue = "ssh", description = "the ssh client to run (default: ssh on the PATH)")
    String program;

    @Override
    Integer execute() throws Exception {
        JsonNode v = VmCommand.find(client(), vm);
        Path knownHosts = configDir(System.getenv()).resolve("known_hosts");
        List<String> argv = argv(v, program, user, port, identity, knownHosts, command);
        Files.createDirectories(knownHosts.getParent());
        out().flush();
        err().flush();
        Process ssh;
        try {
            ssh = new ProcessBuilder(argv).inheritIO().start();
        } catch (IOException e) {
            throw new HangarClient.Failure(0, "ssh-not-found", "cannot run " + program + ": " + e.getMessage()
                    + " (install an ssh client, e.g. apt install openssh-client, or name one with --ssh)");
        }
        try {
            return ssh.waitFor();
        } catch (InterruptedException e) {
            ssh.destroy();
            throw e;
        }
    }

    /**
     * The ssh command line for a VM as GET /vms/ID shows it; refuses a VM that is not running or has no
     * address. No shell reads it: each element is one argument.
     */
    static List<String> argv(JsonNode vm, String program, String user, Integer port, Path identity, Path knownHosts, List<String> command) {
        String id = vm.path("id").asText();
        String status = vm.path("status").asText("");
        String ip = vm.path("ip_address").asText("");
        String named = vm.hasNonNull("name") ? vm.get("name").asText() + " (" + id + ")" : id;
        if (!status.equals("powered-on")) {
            throw new HangarClient.Failure(409, "vm-not-running", "VM " + named + " is " + status + ", not powered-on"
                    + (status.equals("powered-off") || status.equals("suspended") ? "; start it first" : ""));
        }
        if (ip.isEmpty()) {
            throw new HangarClient.Failure(409, "vm-has-no-address", "VM " + named + " has no address (yet): its guest has not "
                    + "reported one; `hangar vm show` shows when it does");
        }
        JsonNode tags = vm.path("tags");
        String login = user != null ? user : tags.path(USER_TAG).asText(null);
        String p = port != null ? String.valueOf(port) : tags.path(PORT_TAG).asText(null);
        if (p != null && !p.matches("[0-9]{1,5}")) {
            throw new HangarClient.Failure(400, "invalid-ssh-port", "VM " + named + "'s tag " + PORT_TAG + " is " + p + ", not a port number");
        }
        List<String> argv = new ArrayList<>(List.of(program,
                "-o", "StrictHostKeyChecking=accept-new",
                "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "HostKeyAlias=hangar-" + id));
        if (p != null) argv.addAll(List.of("-p", p));
        if (identity != null) argv.addAll(List.of("-i", identity.toString()));
        if (login != null && !login.isEmpty()) argv.addAll(List.of("-l", login));
        // "--" ends ssh's options: a user or command word starting with "-" cannot become one.
        argv.add("--");
        argv.add(ip);
        argv.addAll(command);
        return argv;
    }

    /** Where the CLI keeps its own files: $XDG_CONFIG_HOME/hangar, else ~/.config/hangar. */
    static Path configDir(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "hangar");
        return Path.of(System.getProperty("user.home"), ".config", "hangar");
    }
}
