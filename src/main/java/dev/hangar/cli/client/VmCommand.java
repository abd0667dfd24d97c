package dev.hangar.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

/** {@code hangar vm ...}: create, list, show, delete, power and read the console of VMs through /vms. */
@Command(name = "vm", mixinStandardHelpOptions = true, description = "Create, list, show, delete, start, stop, restart, suspend and resume VMs, read their consoles and ssh into them.",
        subcommands = {VmCommand.Create.class, VmCommand.ListVms.class, VmCommand.Show.class, VmCommand.Delete.class,
                VmPowerCommands.Start.class, VmPowerCommands.Stop.class, VmPowerCommands.Restart.class, VmPowerCommands.Suspend.class,
                VmPowerCommands.Resume.class, VmExecCommand.class, VmCommand.Console.class, SshCommand.class},
        footer = {"", "Examples:", "  hangar vm create --image https://example.org/debian.tar.gz \\",
                "      --checksum 3f5a... --wait", "  hangar vm list --tag role=web", "  hangar vm ssh web1 -- uptime"})
public final class VmCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: create, list, show, delete, start, stop, restart, suspend, resume, exec, console or ssh");
    }

    /** The VM an argument names: a UUID is its id, anything else its name. */
    static JsonNode find(HangarClient client, String idOrName) {
        if (isUuid(idOrName)) return client.get("/vms/" + idOrName);
        for (JsonNode vm : client.get("/vms")) {
            if (idOrName.equals(vm.path("name").asText())) return vm;
        }
        throw new HangarClient.Failure(404, "vm-not-found", "no VM has the id or name " + idOrName);
    }

    static boolean isUuid(String s) {
        try {
            UUID.fromString(s);
            return s.length() == 36;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a VM from an image (a URL and its checksum); --wait follows it until it has an address.",
            footer = {"", "Examples:",
                    "  hangar vm create --image https://images.example/debian-12.tar.gz \\",
                    "      --checksum 9f86d0... --wait",
                    "  hangar vm create --image URL --checksum HEX --cpus 2 --memory 2GiB \\",
                    "      --name web1 --tag role=web --user-data cloud.yaml",
                    "", "Exit status: 0 created (with --wait: it has an address), 1 failed (the error's code and message), 2 usage."})
    static final class Create extends ClientCommand {
        @Mixin // plain options here (vm create has no other source): a missing one is "Missing required option"
        VmSpecOptions.Image image;

        @Mixin
        VmSpecOptions.Shape shape;

        @Mixin
        VmSpecOptions.Guest guest;

        @Option(names = "--name", paramLabel = "NAME", description = "a unique host name")
        String name;

        @Option(names = "--wait", description = "follow the creation until the VM has its address (a progress line on a terminal)")
        boolean await;

        @Override
        Integer execute() throws Exception {
            ObjectNode body = HangarClient.JSON.createObjectNode();
            image.putInto(body);
            shape.putCpus(body);
            guest.putMemory(body);
            if (name != null) body.put("name", name);
            Map<String, String> t = shape.tags(spec.commandLine());
            if (!t.isEmpty()) body.set("tags", HangarClient.JSON.valueToTree(t));
            String data = guest.userData(spec.commandLine());
            if (data != null) body.put("user_data", data);
            if (!await) {
                JsonNode vm = client().post("/vms", body);
                out().println(vm.path("id").asText());
                return 0;
            }
            return createAndWait(body);
        }

        /** Listens to /events before the POST, so no event of the new VM is missed, and polls the VM between events. */
        private int createAndWait(ObjectNode body) throws InterruptedException {
            HangarClient client = client();
            record Event(String type, JsonNode data) {}
            BlockingQueue<Event> events = new LinkedBlockingQueue<>();
            CountDownLatch open = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().daemon().name("events").start(() -> {
                try {
                    client.events(List.of("vm", "operation"), open::countDown, (type, data) -> events.add(new Event(type, data)));
                } catch (HangarClient.Failure e) {
                    open.countDown(); // no stream: the polls below still see the VM through
                }
            });
            open.await(10, TimeUnit.SECONDS);
            JsonNode created = client.post("/vms", body);
            String id = created.path("id").asText();
            boolean terminal = interactive();
            Instant start = Instant.now();
            CreateProgress progress = new CreateProgress(id, start);
            Instant nextPoll = start.plusSeconds(2);
            String shown = "";
            try {
                while (progress.outcome() == CreateProgress.Outcome.RUNNING) {
                    Event e = events.poll(250, TimeUnit.MILLISECONDS);
                    Instant now = Instant.now();
                    if (e != null) progress.accept(e.type(), e.data(), now);
                    if (now.isAfter(nextPoll) && progress.outcome() == CreateProgress.Outcome.RUNNING) {
                        nextPoll = now.plusSeconds(3);
                        try {
                            progress.acceptVm(client.get("/vms/" + id), now);
                        } catch (HangarClient.Failure f) {
                            if (f.status() == 404) progress.vmGone();
                            else if (f.status() != 0) throw f;
                        }
                    }
                    String line = progress.line(now);
                    if (terminal && !line.equals(shown)) {
                        out().print("\r" + line + "\033[K");
                        out().flush();
                        shown = line;
                    }
                }
            } finally {
                reader.interrupt();
            }
            if (terminal) out().print("\r\033[K");
            if (progress.outcome() == CreateProgress.Outcome.FAILED) {
                out().flush();
                err().println(progress.finalLine(Instant.now()));
                err().flush();
                return 1;
            }
            out().println(progress.finalLine(Instant.now()));
            out().flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List VMs: id, name, status, IP, image and age.",
            footer = {"", "Examples:", "  hangar vm list", "  hangar vm list --tag role=web -o json"})
    static final class ListVms extends ClientCommand {
        @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "only VMs with this tag (repeatable: all must match)")
        List<String> tags = new ArrayList<>();

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        Output output;

        @Override
        Integer execute() {
            StringBuilder query = new StringBuilder();
            for (Map.Entry<String, String> t : VmSpecOptions.tags(tags, spec.commandLine()).entrySet()) {
                query.append(query.isEmpty() ? "?" : "&").append("tag=").append(HangarClient.escape(t.getKey() + "=" + t.getValue()));
            }
            JsonNode vms = client().get("/vms" + query);
            if (output == Output.json) printJson(vms);
            else out().print(table(vms, Instant.now()));
            return 0;
        }

        static String table(JsonNode vms, Instant now) {
            Table table = new Table("id", "name", "status", "ip", "image", "age");
            for (JsonNode vm : vms) {
                table.row(vm.path("id").asText(), Formats.text(vm, "name"), Formats.text(vm, "status"), Formats.text(vm, "ip_address"),
                        Formats.image(vm.get("image")), Formats.age(Formats.text(vm, "created_at"), now));
            }
            return table.render();
        }
    }

    enum Output { table, json }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one VM, by id or name.",
            footer = {"", "Examples:", "  hangar vm show web1", "  hangar vm show 0f8e2c1a-... -o json"})
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "ID|NAME", description = "the VM's id or name")
        String vm;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "table (default) or json")
        Output output;

        @Override
        Integer execute() {
            JsonNode v = find(client(), vm);
            if (output == Output.json) {
                printJson(v);
                return 0;
            }
            Table t = new Table("field", "value");
            t.row("id", Formats.text(v, "id")).row("name", Formats.text(v, "name")).row("status", Formats.text(v, "status"))
                    .row("ip", Formats.text(v, "ip_address")).row("image", v.path("image").path("url").asText(Formats.image(v.get("image"))))
                    .row("cpus", Formats.text(v, "cpus")).row("memory", Formats.text(v, "memory"))
                    .row("networks", String.join(",", texts(v.path("networks")))).row("tags", tagsText(v.path("tags")))
                    .row("age", Formats.age(Formats.text(v, "created_at"), Instant.now()));
            if (v.hasNonNull("error")) t.row("error", v.get("error").path("code").asText() + ": " + v.get("error").path("message").asText());
            out().print(t.render());
            return 0;
        }
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String tagsText(JsonNode tags) {
        List<String> out = new ArrayList<>();
        tags.properties().forEach(e -> out.add(e.getKey() + "=" + e.getValue().asText()));
        return String.join(",", out);
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a VM, by id or name: it is powered off and its disks removed.",
            footer = {"", "Example:", "  hangar vm delete web1 --wait"})
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID|NAME", description = "the VM's id or name")
        String vm;

        @Option(names = "--wait", description = "return only once the VM is gone")
        boolean await;

        @Override
        Integer execute() throws InterruptedException {
            String id = find(client(), vm).path("id").asText();
            client().delete("/vms/" + id);
            if (await) {
                Instant until = Instant.now().plus(Duration.ofMinutes(5));
                while (true) {
                    try {
                        client().get("/vms/" + id);
                    } catch (HangarClient.Failure f) {
                        if (f.status() == 404) break;
                        throw f;
                    }
                    if (Instant.now().isAfter(until)) throw new HangarClient.Failure(0, "timeout", "VM " + id + " is still there after 5 minutes");
                    Thread.sleep(500);
                }
                out().println("deleted " + id);
            } else {
                out().println("deleting " + id);
            }
            return 0;
        }
    }

    @Command(name = "console", mixinStandardHelpOptions = true,
            description = "Print a VM's serial console; --follow keeps printing what it writes until interrupted; --attach types into it too.",
            footer = {"", "Examples:", "  hangar vm console web1", "  hangar vm console web1 --follow",
                    "  hangar vm console web1 --attach          # Ctrl-] detaches",
                    "  echo 'uname -a' | hangar vm console web1 --attach"})
    static final class Console extends ClientCommand {
        @Parameters(paramLabel = "ID|NAME", description = "the VM's id or name")
        String vm;

        @Option(names = {"-f", "--follow"}, description = "keep reading new output (Ctrl-C ends it)")
        boolean follow;

        @Option(names = {"-a", "--attach"}, description = "attach to the console over its WebSocket: the recent output, then live; "
                + "what you type goes to the VM (Ctrl-] detaches; piped input is typed, and it ends once the VM is quiet)")
        boolean attach;

        @Override
        Integer execute() throws InterruptedException {
            JsonNode found = find(client(), vm);
            String id = found.path("id").asText();
            if (attach) {
                if (!"powered-on".equals(found.path("status").asText())) {
                    throw new HangarClient.Failure(409, "vm-not-running", "VM " + vm + " is " + found.path("status").asText() + ", not powered-on");
                }
                try {
                    out().flush();
                    return new ConsoleAttach(client(), System.out, System.err).run(id, System.in, interactive());
                } catch (java.io.IOException e) {
                    throw new HangarClient.Failure(0, "console-failed", e.getMessage());
                }
            }
            String last = client().getText("/vms/" + id + "/console");
            out().print(last);
            out().flush();
            while (follow) {
                Thread.sleep(1000);
                String now = client().getText("/vms/" + id + "/console");
                String fresh = ConsoleTail.newText(last, now);
                if (!fresh.isEmpty()) {
                    out().print(fresh);
                    out().flush();
                }
                last = now;
            }
            return 0;
        }
    }
}
