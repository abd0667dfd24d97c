package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What host, network, template and build commands send and show. */
class ResourceCommandsTest {
    private static Object command(String... args) {
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args);
        return parsed.subcommand().subcommand().commandSpec().userObject();
    }

    private static int status(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }

    private static JsonNode json(String s) throws Exception {
        return HangarClient.JSON.readTree(s);
    }

    /** Same JSON text: a long 20 and an int 20 are the same number on the wire. */
    private static void same(JsonNode expected, JsonNode actual) {
        assertEquals(expected.toString(), actual.toString());
    }

    @Test
    void hostCreateSendsTheStagingAgentsBodyForEachWayToBoot() throws Exception {
        HostCommand.Create install = (HostCommand.Create) command("host", "create", "db1", "--memory", "2048", "--disk", "20", "--disk", "100",
                "--network", "vlan:292", "--location", "http://d.test/tree/", "--cmdline", "auto=true");
        same(json("{\"memory\": 2048, \"disks\": [20, 100], \"networks\": [\"vlan:292\"], \"install\": true,"
                + " \"location\": \"http://d.test/tree/\", \"cmdline\": \"auto=true\"}"), install.body(Map.of()));

        HostCommand.Create image = (HostCommand.Create) command("host", "create", "web1", "--memory", "512", "--disk", "1", "--network", "nat",
                "--image", "http://i.test/a.tar.gz", "--checksum", "ab12", "--cpus", "2");
        same(json("{\"memory\": 512, \"disks\": [1], \"networks\": [\"nat\"], \"cpus\": 2, \"install\": false,"
                + " \"image\": {\"url\": \"http://i.test/a.tar.gz\", \"checksum\": \"ab12\", \"checksum_type\": \"sha256\"}}"),
                image.body(Map.of()));

        HostCommand.Create blank = (HostCommand.Create) command("host", "create", "pxe1", "--memory", "256", "--disk", "1", "--network", "nat");
        same(json("{\"memory\": 256, \"disks\": [1], \"networks\": [\"nat\"], \"tags\": {\"rack\": \"a\"}, \"install\": false}"),
                blank.body(Map.of("rack", "a")));
    }

    @Test
    void hostCreateRefusesTwoWaysToBootOrHalfOfOne() {
        assertEquals(2, status("host", "create", "h", "--memory", "256", "--disk", "1", "--network", "nat", "--location", "http://d/",
                "--image", "http://i/a", "--checksum", "ab"));
        assertEquals(2, status("host", "create", "h", "--memory", "256", "--disk", "1", "--network", "nat", "--image", "http://i/a"));
        assertEquals(2, status("host", "create", "h", "--memory", "256", "--network", "nat"));   // no --disk
        assertEquals(2, status("host", "create", "h", "--memory", "256", "--disk", "1", "--network", "nat", "--cmdline", "x"));
    }

    @Test
    void networkCreateSendsBridgeVlanAndSubnet() throws Exception {
        NetworkCommand.Create c = (NetworkCommand.Create) command("network", "create", "vlan:292", "--bridge", "br-st", "--vlan", "292",
                "--subnet", "10.50.0.0/24");
        same(json("{\"bridge\": \"br-st\", \"vlan\": 292, \"subnet\": \"10.50.0.0/24\"}"), c.body());
        assertEquals("/networks/vlan%3A292", NetworkCommand.path("vlan:292"));
        assertEquals(2, status("network", "create", "n1"));                          // no --bridge
        assertEquals(2, status("network", "create", "n1", "--bridge", "b", "--vlan", "x"));
    }

    @Test
    void templateCreateTakesAnImageOrALibraryImageAndTheVmSettings() throws Exception {
        TemplateCommand.Create url = (TemplateCommand.Create) command("template", "create", "web", "--image", "http://i.test/a.tar.gz",
                "--checksum", "ab12", "--cpus", "2", "--memory", "1GiB", "--disk", "20", "--network", "nat", "--gui");
        same(json("{\"name\": \"web\", \"image\": {\"url\": \"http://i.test/a.tar.gz\", \"checksum\": \"ab12\", \"checksum_type\": \"sha256\"},"
                + " \"cpus\": 2, \"memory\": \"1GiB\", \"disks\": [20], \"networks\": [\"nat\"], \"tags\": {\"ssh_user\": \"debian\"},"
                + " \"user_data\": \"#cloud-config\\n\", \"launch_gui\": true}"), url.body(Map.of("ssh_user", "debian"), "#cloud-config\n"));
        TemplateCommand.Create library = (TemplateCommand.Create) command("template", "create", "ci", "--library", "debian-12", "--memory", "512");
        same(json("{\"name\": \"ci\", \"image\": {\"library\": \"debian-12\"}, \"memory\": 512}"), library.body(Map.of(), null));
        assertEquals(2, status("template", "create", "t"));                                               // no image
        assertEquals(2, status("template", "create", "t", "--library", "x", "--image", "u", "--checksum", "c"));
        assertEquals(2, status("template", "create", "t", "--image", "u"));                              // no checksum
    }

    @Test
    void listsAreTablesOfTheFieldsPeopleLookFor() throws Exception {
        JsonNode hosts = json("[{\"id\": \"1\", \"name\": \"db1\", \"state\": \"running\", \"memory\": 2048, \"disks\": [20, 100],"
                + " \"networks\": [\"vlan:292\", \"nat\"], \"ip_address\": \"10.213.0.5\"},"
                + " {\"id\": \"-\", \"name\": \"pxe1\", \"state\": \"shut off\", \"memory\": 256, \"disks\": [1], \"networks\": [\"nat\"], \"ip_address\": \"\"}]");
        assertEquals("""
                NAME  STATE     ID  MEMORY    DISKS     NETWORKS      IP
                db1   running   1   2048 MiB  20G,100G  vlan:292,nat  10.213.0.5
                pxe1  shut off  -   256 MiB   1G        nat           -
                """, HostCommand.ListHosts.table(hosts));

        JsonNode networks = json("[{\"name\": \"vlan:292\", \"state\": \"active\", \"bridge\": \"br-st\", \"vlan\": 292},"
                + " {\"name\": \"lab\", \"state\": \"active\", \"bridge\": \"br-lab\", \"vlan\": null, \"subnet\": \"10.50.0.0/24\"}]");
        assertEquals("""
                NAME      BRIDGE  VLAN  SUBNET        STATE
                vlan:292  br-st   292   -             active
                lab       br-lab  -     10.50.0.0/24  active
                """, NetworkCommand.ListNetworks.table(networks));

        JsonNode templates = json("[{\"name\": \"web\", \"image\": {\"url\": \"http://i.test/x/debian-12.tar.gz\", \"checksum\": \"ab\"},"
                + " \"cpus\": 2, \"memory\": \"1GiB\", \"disks\": [], \"networks\": [\"nat\"], \"tags\": {\"role\": \"web\"},"
                + " \"created_at\": \"2026-01-01T10:00:00Z\"}]");
        assertEquals("""
                NAME  IMAGE             CPUS  MEMORY  DISKS  NETWORKS  TAGS      AGE
                web   debian-12.tar.gz  2     1GiB    -      nat       role=web  2h
                """, TemplateCommand.ListTemplates.table(templates, Instant.parse("2026-01-01T12:00:00Z")));
    }

    @Test
    void aBuildsProgressIsItsStatusPercentAndActivity() throws Exception {
        JsonNode building = json("{\"status\": \"BUILDING\", \"percent_complete\": 50, \"status_detail\": {\"activity\": \"installing\"}}");
        assertEquals("building  [############............]  50%  installing  1m05s",
                BuildCommand.progressLine(building, Duration.ofSeconds(65)));
        assertEquals(false, BuildCommand.isDone(building));
        assertTrue(BuildCommand.isDone(json("{\"status\": \"COMPLETE\"}")));
        assertTrue(BuildCommand.isDone(json("{\"status\": \"FAILED\"}")));
        assertEquals("pending  [........................]   0%  0s", BuildCommand.progressLine(json("{\"status\": \"PENDING\"}"), Duration.ZERO));
    }
}
