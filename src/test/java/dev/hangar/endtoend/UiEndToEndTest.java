package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import dev.hangar.security.OAuth1Signer;
import dev.hangar.testing.ImageServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console in a real browser: Debian's headless Chromium, driven by playwright-core from npm
 * (ui/e2e/drive.mjs, run as a process), against the real service with OAuth on. The page loads; a VM
 * created through the API (with a graphical screen) appears in the list and turns powered-on without a
 * reload; a delete without login is refused (oauth-missing) and a wrong secret does not log in; after
 * the login a VM made with the page's form (a wrong checksum: it fails without booting) shows up failed
 * and its row's Delete removes it; the first VM's page shows the guest's boot lines as DOM text, what
 * is typed reaches the guest's shell, its screen connects (noVNC), and deleting it from its page
 * removes it from the list. A group
 * of one (a second guest), a network and a mock image build fill the other pages. Screenshots of every
 * page land in target/ui-screenshots (docs/screenshots keeps good ones).
 */
class UiEndToEndTest {
    private static final String CLIENT = "ui-user";
    private static final String SECRET = "ui-secret-5b0e";
    private static final Path SHOTS = Path.of("target", "ui-screenshots").toAbsolutePath();

    @TempDir
    Path dir;

    private final OAuth1Signer signer = new OAuth1Signer(CLIENT, SECRET);
    private final HttpClient http = HttpClient.newHttpClient();
    private String base;

    private record Reply(int status, String body) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(body);
        }
    }

    /** A request signed as the configured client, as a program of the operator's sends it. */
    private Reply call(String method, String path, String body) throws Exception {
        URI uri = URI.create(base + path);
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", signer.authorization(method, uri, body == null ? null : "application/json", bytes))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
        if (body != null) b.header("Content-Type", "application/json");
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    @Test
    void aPersonWatchesTypesIntoAndDeletesAVmFromTheBrowser() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null, "end-to-end tests make bridges: run them through ./test");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "Debian's chromium is installed by scripts/install-deps");
        assertTrue(Files.isDirectory(Path.of("ui", "node_modules", "playwright-core")), "the build's npm ci installs playwright-core");
        Machines.prepare("qemu");
        Files.createDirectories(SHOTS);
        Path config = dir.resolve("hangar.json");
        Files.writeString(config, "{\"clients\": {\"" + CLIENT + "\": \"" + SECRET + "\"}}");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Path image = TestImages.directBoot();
        try (ImageServer images = new ImageServer();
             HangarProcess hangar = new HangarProcess(dir.resolve("data"), "--delete-grace", "1", "--max-image-size", "200mib",
                     "--config", config.toString()).start()) {
            base = hangar.base();
            String imageUrl = images.serve("/direct-boot.tar.gz", image);
            Process browser = null;
            List<String> out = new ArrayList<>();
            try {
                // What the other pages show: a group of one (the second guest), a network and a mock image build.
                ObjectNode template = Json.MAPPER.createObjectNode().put("name", "web").put("memory", "256mib");
                template.putObject("image").put("url", imageUrl).put("checksum", TestImages.sha256(image)).put("checksum_type", "sha256");
                assertEquals(201, call("POST", "/templates", template.toString()).status());
                assertEquals(201, call("POST", "/groups", "{\"name\": \"web\", \"template\": \"web\", \"size\": 1}").status());
                Reply network = call("POST", "/networks/lab", "{\"bridge\": \"hguibr0\", \"subnet\": \"10.77.0.0/24\"}");
                assertEquals(201, network.status(), network.body());
                ObjectNode build = Json.MAPPER.createObjectNode();
                build.putObject("base_image").put("template", ImageFactoryEndToEndTest.MOCK_TDL);
                Reply built = call("POST", "/imagefactory/base_images", build.toString());
                assertEquals(202, built.status(), built.body());
                String buildId = built.json().get("base_image").get("id").textValue();

                long t0 = System.nanoTime();
                browser = new ProcessBuilder("node", "ui/e2e/drive.mjs", base, SHOTS.toString(), CLIENT, SECRET, "web", "base/" + buildId, imageUrl)
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                BufferedReader lines = new BufferedReader(new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8));
                OutputStream stdin = browser.getOutputStream();
                String id = null;
                for (String line; (line = lines.readLine()) != null; ) {
                    out.add(line);
                    System.out.printf("[browser %5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, line);
                    if (line.equals("STEP need-vm")) {
                        // With a graphical screen, so its page shows that too (noVNC).
                        ObjectNode vm = Json.MAPPER.createObjectNode().put("name", "ui-guest").put("memory", "256mib").put("launch_gui", true);
                        vm.set("image", template.get("image"));
                        Reply created = call("POST", "/vms", vm.toString());
                        assertTrue(created.status() == 201 || created.status() == 202, created.body());
                        id = created.json().get("id").textValue();
                        stdin.write((id + "\n").getBytes(StandardCharsets.UTF_8));
                        stdin.flush();
                    }
                }
                assertTrue(browser.waitFor(60, TimeUnit.SECONDS), "the browser's driver ended");
                assertEquals(0, browser.exitValue(), "the browser's driver failed (its reason is above); it said:\n" + String.join("\n", out));
                for (String step : List.of("login-required", "logged-in", "vm-listed", "form-created", "form-deleted", "console-boot-lines", "console-typed", "screen-connected", "vm-deleted", "done")) {
                    assertTrue(out.contains("STEP " + step), step + " was not reached");
                }
                // The console's DOM text has the line the guest prints once it has its address, as the API's log has it.
                String consoleText = String.join("\n", out.subList(out.indexOf("CONSOLE-TEXT-BEGIN"), out.indexOf("CONSOLE-TEXT-END")));
                assertTrue(consoleText.contains("HANGAR-GUEST-READY"), consoleText);
                assertTrue(consoleText.contains("UI-TYPED-42"), consoleText);
                Reply gone = call("GET", "/vms/" + id, null);
                assertTrue(gone.status() == 404 || gone.json().get("status").textValue().equals("deleting"), gone.body());
                assertEquals(202, call("DELETE", "/groups/web", null).status());
                assertEquals(204, call("DELETE", "/networks/lab", null).status());
                for (String shot : List.of("ui-vms.png", "ui-vm.png", "ui-hosts.png", "ui-networks.png", "ui-groups.png", "ui-group.png",
                        "ui-builds.png", "ui-build.png", "ui-login.png")) {
                    assertTrue(Files.size(SHOTS.resolve(shot)) > 5000, shot);
                }
            } finally {
                if (browser != null && browser.isAlive()) {
                    browser.destroyForcibly();
                    browser.waitFor();
                }
                System.out.println("---- service log ----\n" + hangar.log());
                Processes.endDaemons(hangar.dataDir());
            }
        }
    }
}
