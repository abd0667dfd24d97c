package dev.hangar.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes the fuzz suite's requests: each starts from a real request of one of Hangar's faces (the forms in
 * ../shared/protocols.md and the README), then some of its parts are mutated: the JSON (fields of other
 * types, sizes and depths, truncation, wrong encodings, invalid UTF-8), the headers (types, lengths that
 * lie, chunks that break, duplicates, huge ones), the path, the method and the HTTP version. Everything
 * comes from one Random per request, seeded from the run's seed and the request's number; only the ids in
 * paths come from what the service answered before (so a run is replayed by its seed up to those ids,
 * and each failure prints its exact bytes).
 */
final class FuzzRequests {
    enum Face { MAIN, HOSTS, IMAGEFACTORY, INFRAKIT }

    /**
     * One request. mustAnswer: HTTP expects an answer to these bytes (a well-framed request, or a broken
     * one the server can still answer: 400, 501, 505); false for a request that ends before it is whole,
     * or that is over the server's header limits, which a server may just close. halfClose: our side ends
     * after the bytes, so a server waiting for the rest of an incomplete request sees its end.
     */
    record Request(Face face, int number, byte[] bytes, boolean mustAnswer, boolean halfClose, boolean head,
                   List<String> mutations) {}

    /** A starting point: a real request of a face. Path placeholders {vm}, {host}, ... take names and ids. */
    private record Seed(String method, String path, String contentType, String body) {}

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Writes trees deeper than Jackson's default limit: the parser on the other side is what is tested. */
    private static final com.fasterxml.jackson.databind.ObjectMapper DEEP_WRITER = new com.fasterxml.jackson.databind.ObjectMapper(
            com.fasterxml.jackson.core.JsonFactory.builder()
                    .streamWriteConstraints(com.fasterxml.jackson.core.StreamWriteConstraints.builder().maxNestingDepth(100_000).build())
                    .build());
    private static final Pattern UUID_IN_TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)}");

    private final long seed;
    private final int closedPort;
    private final List<Seed> main = new ArrayList<>();
    private final List<Seed> hosts = new ArrayList<>();
    private final List<Seed> factory = new ArrayList<>();
    private final List<Seed> infrakit = new ArrayList<>();
    /** Ids the service answered with (VMs, images, operations): paths name real things as often as not. */
    private final Deque<String> ids = new ArrayDeque<>();
    private Random r;

    /** closedPort: a loopback port nobody listens on; every URL in a request leads there, so downloads fail at once. */
    FuzzRequests(long seed, int closedPort) {
        this.seed = seed;
        this.closedPort = closedPort;
        seeds();
    }

    /** Remembers the ids in an answer, for later paths. */
    void learn(String answer) {
        Matcher m = UUID_IN_TEXT.matcher(answer);
        while (m.find()) {
            if (ids.contains(m.group())) continue;
            ids.addFirst(m.group());
            if (ids.size() > 64) ids.removeLast();
        }
    }

    /** The request number n of the run; hostHeaders: each face's address as a client names it in Host. */
    Request next(int n, java.util.Map<Face, String> hostHeaders) {
        r = new Random(seed * 1_000_003L + n);
        int dice = r.nextInt(100);
        Face face = dice < 45 ? Face.MAIN : dice < 60 ? Face.HOSTS : dice < 75 ? Face.IMAGEFACTORY : Face.INFRAKIT;
        String hostHeader = hostHeaders.get(face);
        List<String> mutations = new ArrayList<>();
        Seed s = pick(switch (face) {
            case MAIN -> main;
            case HOSTS -> hosts;
            case IMAGEFACTORY -> factory;
            case INFRAKIT -> infrakit;
        });
        String method = s.method();
        if (r.nextInt(10) == 0) {
            method = method();
            mutations.add("method " + method);
        }
        String path = fill(s.path());
        if (r.nextInt(10) < 3) {
            path = path(path);
            mutations.add("path");
        }
        String version = "HTTP/1.1";
        if (r.nextInt(12) == 0) {
            version = pick(List.of("HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/3", "HTTP/0.9", "http/1.1", "HTTP/11", "HTTP/1.1 x",
                    "HTTP/1.1\t", "HTTP/", "FOO/1.1", "", "HTTP/1.01"));
            mutations.add("version '" + version + "'");
        }
        byte[] body = s.body() == null ? null : s.body().getBytes(StandardCharsets.UTF_8);
        if (body != null && s.body().startsWith("{")) {
            body = mutateJson(body, mutations);
        } else if (body != null) {
            body = mutateForm(body, mutations);
        }
        Head head = new Head();
        head.add("Host", hostHeader);
        if (r.nextInt(5) == 0) head.add("User-Agent", pick(List.of("curl/8.5.0", "Go-http-client/1.1", "python-requests/2.31", "")));
        String type = s.contentType();
        if (r.nextInt(8) == 0) {
            type = contentType();
            mutations.add("content-type " + type);
        }
        if (type != null) head.add("Content-Type", type);
        boolean keepAlive = r.nextInt(8) == 0;
        head.add("Connection", keepAlive ? "keep-alive" : "close");
        if (r.nextInt(4) == 0) headers(head, mutations);

        Framing framing = frame(body, s.method().equals("POST") || s.method().equals("PUT"), mutations);
        head.lines.addAll(framing.headers);
        String requestLine = method + " " + path + (version.isEmpty() ? "" : " " + version);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(requestLine.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(CRLF);
        for (byte[] line : head.lines) {
            out.writeBytes(line);
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        out.writeBytes(framing.body);
        byte[] bytes = out.toByteArray();
        boolean mustAnswer = framing.whole && !head.overLimits;
        boolean halfClose = !framing.whole;
        if (r.nextInt(60) == 0) {
            // The request breaks off anywhere, even inside its request line or headers.
            bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length));
            mutations.add("cut at byte " + bytes.length);
            mustAnswer = false;
            halfClose = true;
        }
        return new Request(face, n, bytes, mustAnswer, halfClose, method.equals("HEAD"), mutations);
    }

    private static final byte[] CRLF = {'\r', '\n'};

    // ---- the real requests ------------------------------------------------------------------------

    private void seeds() {
        String image = "{\"url\": \"" + url("/box.tar.gz") + "\", \"checksum\": \"" + "5cf00d38".repeat(5)
                + "\", \"checksum_type\": \"sha1\"}";
        String vm000 = "{\"cpus\": 2, \"memory\": \"1gib\", \"network_type\": \"nat\", \"image\": " + image
                + ", \"launch_gui\": false, \"callback_url\": \"" + url("/ready") + "\"}";
        String vm001 = "{\"cpus\": 1, \"memory\": 1024, \"headless\": true, \"image\": " + image + ", \"callback_url\": \""
                + url("/ready") + "\", \"tools_init_timeout\": 5}";
        String vmExtended = "{\"name\": \"fz-vm\", \"memory\": \"512mib\", \"networks\": [\"nat\", \"hostonly\"], \"disks\": [1, 2],"
                + " \"tags\": {\"env\": \"fuzz\"}, \"user_data\": \"#cloud-config\\nhostname: fz\\n\","
                + " \"network_config\": \"version: 2\\n\", \"image\": " + image + "}";
        String vmLibrary = "{\"image\": {\"library\": \"box\"}, \"cpus\": 1}";
        String settings = "{\"memory\": \"512mib\", \"cpus\": 1, \"image\": " + image + ", \"tags\": {\"role\": \"web\"},"
                + " \"user_data\": \"#!/bin/sh\\necho hi\\n\", \"disks\": [1], \"networks\": [\"nat\"], \"launch_gui\": false}";
        String template = "{\"name\": \"{template}\", " + settings.substring(1);
        main.addAll(List.of(
                new Seed("POST", "/vms", "application/json", vm000),
                new Seed("POST", "/vms", null, vm001),
                new Seed("POST", "/vms", "application/x-www-form-urlencoded", vm000),
                new Seed("POST", "/vms", "application/json", vmExtended),
                new Seed("POST", "/vms", "application/json", vmLibrary),
                new Seed("GET", "/vms", null, null),
                new Seed("GET", "/vms?tag=env=fuzz&tag=role=web", null, null),
                new Seed("GET", "/vms/{vm}", null, null),
                new Seed("GET", "/vms/{vm}/console", null, null),
                new Seed("DELETE", "/vms/{vm}", null, null),
                new Seed("PUT", "/vms/{vm}/tags", "application/json", "{\"env\": \"fuzz\", \"role\": \"db\"}"),
                new Seed("POST", "/templates", "application/json", template),
                new Seed("GET", "/templates", null, null),
                new Seed("GET", "/templates/{template}", null, null),
                new Seed("PUT", "/templates/{template}", "application/json", settings),
                new Seed("DELETE", "/templates/{template}", null, null),
                new Seed("POST", "/groups", "application/json", "{\"name\": \"{group}\", \"template\": \"{template}\", \"size\": 1}"),
                new Seed("POST", "/groups", null, "{\"name\": \"{group}\", \"settings\": " + settings
                        + ", \"logical_ids\": [\"fz-a\", \"fz-b\"], \"unhealthy\": [\"error\"], \"rolling\": true}"),
                new Seed("GET", "/groups", null, null),
                new Seed("GET", "/groups/{group}", null, null),
                new Seed("PUT", "/groups/{group}", null, "{\"rolling\": false, \"size\": 0}"),
                new Seed("PUT", "/groups/{group}/size", null, "{\"size\": 0}"),
                new Seed("DELETE", "/groups/{group}", null, null),
                new Seed("GET", "/operations", null, null),
                new Seed("GET", "/operations/{id}", null, null)));
        hosts.addAll(List.of(
                new Seed("GET", "/host/{host}/", null, null),
                new Seed("POST", "/host/{host}/", null, "{\"memory\": 256, \"disks\": [1], \"networks\": [], \"console\": true}"),
                new Seed("GET", "/host/{host}/network/{network}/", null, null),
                new Seed("POST", "/host/{host}/network/{network}/", null, "{\"bridge\": \"br-fz\", \"vlan\": 292}"),
                new Seed("GET", "/hosts", null, null),
                new Seed("GET", "/hosts/{host}", null, null),
                new Seed("POST", "/hosts/{host}", null, "{\"memory\": 256, \"disks\": [1, 2], \"networks\": [\"{network}\"],"
                        + " \"install\": true, \"location\": \"" + url("/debian/dists/bookworm/main/installer-amd64")
                        + "\", \"cmdline\": \"auto=true priority=critical\"}"),
                new Seed("POST", "/hosts/{host}", "application/json", "{\"memory\": 256, \"disks\": [], \"networks\": [],"
                        + " \"install\": false, \"image\": " + image + ", \"cpus\": 1, \"tags\": {\"a\": \"b\"}}"),
                new Seed("DELETE", "/hosts/{host}", null, null),
                new Seed("PUT", "/hosts/{host}/start", null, null),
                new Seed("GET", "/hosts/{host}/console", null, null),
                new Seed("GET", "/networks", null, null),
                new Seed("GET", "/networks/{network}", null, null),
                new Seed("POST", "/networks/{network}", null, "{\"bridge\": \"br-fz\", \"vlan\": 292}"),
                new Seed("POST", "/networks/{network}", null, "{\"bridge\": \"br-fz2\", \"subnet\": \"10.50.0.0/24\"}"),
                new Seed("DELETE", "/networks/{network}", null, null)));
        String tdl = "<template><name>fz</name><os><name>Debian</name><version>12</version><arch>x86_64</arch>"
                + "<install type=\\\"url\\\"><url>" + url("/debian") + "</url></install><rootpw>secret</rootpw></os>"
                + "<packages><package name=\\\"busybox\\\"/></packages></template>";
        String mockTdl = "<template><name>fz</name><os><name>MockOS_A</name><version>1</version><arch>x86_64</arch>"
                + "<install type=\\\"url\\\"><url>" + url("/mock") + "</url></install></os></template>";
        String jsonTemplate = "{\"name\": \"fz\", \"os\": {\"name\": \"Debian\", \"version\": \"12\", \"arch\": \"x86_64\","
                + " \"install\": {\"type\": \"url\", \"url\": \"" + url("/debian") + "\"}, \"rootpw\": \"x\"},"
                + " \"packages\": [\"busybox\"], \"files\": [{\"name\": \"/etc/motd\", \"type\": \"raw\", \"content\": \"hi\"}],"
                + " \"commands\": [{\"name\": \"c\", \"command\": \"true\"}], \"disk\": {\"size\": 1}}";
        factory.addAll(List.of(
                new Seed("GET", "/imagefactory", null, null),
                new Seed("POST", "/imagefactory/base_images", "application/json",
                        "{\"base_image\": {\"template\": \"" + mockTdl + "\", \"parameters\": {\"callbacks\": [\"" + url("/cb") + "\"]}}}"),
                new Seed("POST", "/imagefactory/base_images", "application/json",
                        "{\"base_image\": {\"template\": \"" + tdl + "\", \"parameters\": {\"mock\": \"true\"}}}"),
                new Seed("POST", "/imagefactory/base_images", "application/json",
                        "{\"base_image\": {\"template\": " + jsonTemplate + ", \"parameters\": {\"mock\": \"true\"}}}"),
                new Seed("POST", "/imagefactory/base_images", "application/json", "{\"base_image\": {\"template\": \"" + url("/t.tdl") + "\"}}"),
                new Seed("GET", "/imagefactory/base_images", null, null),
                new Seed("GET", "/imagefactory/base_images/{id}", null, null),
                new Seed("DELETE", "/imagefactory/base_images/{id}", null, null),
                new Seed("GET", "/imagefactory/base_images/{id}/raw_image", null, null),
                new Seed("POST", "/imagefactory/base_images/{id}/target_images", "application/json", "{\"target_image\": {\"target\": \"mock\"}}"),
                new Seed("POST", "/imagefactory/target_images", "application/json",
                        "{\"target_image\": {\"target\": \"kvm\", \"base_image_id\": \"{id}\"}}"),
                new Seed("GET", "/imagefactory/target_images", null, null),
                new Seed("GET", "/imagefactory/target_images/{id}", null, null),
                new Seed("GET", "/imagefactory/base_images/{id}/target_images/{id}", null, null),
                new Seed("POST", "/imagefactory/target_images/{id}/provider_images", "application/json",
                        "{\"provider_image\": {\"provider\": \"hangar\"}}"),
                new Seed("POST", "/imagefactory/provider_images", "application/json",
                        "{\"provider_image\": {\"target_image_id\": \"{id}\", \"provider\": {\"type\": \"directory\", \"path\": \"/tmp/fz-out\"}}}"),
                new Seed("POST", "/imagefactory/provider_images", "application/json",
                        "{\"provider_image\": {\"target_image_id\": \"{id}\", \"provider\": {\"type\": \"oci\", \"registry\": \"" + url("")
                                + "\", \"repository\": \"images/web\", \"tag\": \"12\"}, \"credentials\": {\"username\": \"u\", \"password\": \"p\"}}}"),
                new Seed("GET", "/imagefactory/provider_images/{id}", null, null),
                new Seed("POST", "/imagefactory/images", "application/x-www-form-urlencoded",
                        "targets=mock&template=" + URLEncoder.encode(mockTdl.replace("\\\"", "\""), StandardCharsets.UTF_8)),
                new Seed("POST", "/imagefactory/images", "application/json",
                        "{\"image\": {\"targets\": \"mock\", \"template\": \"" + mockTdl + "\"}}"),
                new Seed("PUT", "/imagefactory/images/{id}", "application/x-www-form-urlencoded", "targets=mock,kvm&template={id}"),
                new Seed("GET", "/imagefactory/images/{id}/builds/{id}/target_images/{id}/status", null, null),
                new Seed("POST", "/imagefactory/images/{id}/builds/{id}/target_images/{id}/provider_images",
                        "application/x-www-form-urlencoded", "provider=hangar&credentials=%3Cprovider_credentials%2F%3E"),
                new Seed("GET", "/imagefactory/builders", null, null),
                new Seed("GET", "/imagefactory/builders/{id}/status", null, null),
                new Seed("GET", "/imagefactory/published/{id}/disk.qcow2", null, null)));
        main.addAll(hosts);
        main.addAll(factory);
        String properties = "{\"image\": " + image + ", \"MemorySizeMBs\": 256, \"NumCPUs\": 1, \"LaunchGUI\": false,"
                + " \"Tags\": {\"env\": \"fuzz\"}}";
        String spec = "{\"Properties\": " + properties + ", \"Tags\": {\"infrakit.group\": \"fz\", \"infrakit.config.hash\": \"abc\"},"
                + " \"Init\": \"#!/bin/sh\\n\", \"LogicalID\": null, \"Attachments\": null}";
        infrakit.addAll(List.of(
                new Seed("POST", "/Instance.Validate", null, properties),
                new Seed("POST", "/Instance.Validate", null, spec),
                new Seed("POST", "/Instance.Provision", null, spec.replace("\"LogicalID\": null", "\"LogicalID\": \"fz-l1\"")),
                new Seed("POST", "/Instance.Provision", null, spec),
                new Seed("POST", "/Instance.Destroy/{vm}", null, null),
                new Seed("POST", "/Instance.DescribeInstances", null, "{\"infrakit.group\": \"fz\"}"),
                new Seed("POST", "/", "application/json", rpc("Handshake.Hello", "{}")),
                new Seed("POST", "/", "application/json", rpc("Plugin.Implements", "{}")),
                new Seed("POST", "/", "application/json", rpc("Instance.Validate", "{\"Type\": \"\", \"Properties\": " + properties + "}")),
                new Seed("POST", "/", "application/json", rpc("Instance.Provision", "{\"Type\": \"\", \"Spec\": " + spec + "}")),
                new Seed("POST", "/", "application/json", rpc("Instance.Label",
                        "{\"Type\": \"\", \"Instance\": \"{vm}\", \"Labels\": {\"a\": \"b\"}}")),
                new Seed("POST", "/", "application/json", rpc("Instance.Destroy",
                        "{\"Type\": \"\", \"Instance\": \"{vm}\", \"Context\": {\"Reason\": \"terminate\"}}")),
                new Seed("POST", "/", "application/json", rpc("Instance.DescribeInstances",
                        "{\"Type\": \"\", \"Tags\": {\"infrakit.group\": \"fz\"}, \"Properties\": true}"))));
    }

    private static String rpc(String method, String params) {
        return "{\"jsonrpc\": \"2.0\", \"method\": \"" + method + "\", \"params\": " + params + ", \"id\": 1}";
    }

    private String url(String path) {
        return "http://127.0.0.1:" + closedPort + path;
    }

    /** Fills {placeholders}: mostly names and ids that exist or existed, sometimes odd ones. */
    private String fill(String path) {
        Matcher m = PLACEHOLDER.matcher(path);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = switch (m.group(1)) {
                case "vm", "id" -> r.nextInt(10) < 7 && !ids.isEmpty() ? pick(new ArrayList<>(ids)) : oddId();
                case "host" -> pick(List.of("fz1", "fz2.example.com", "db1", "fz-a", "FZ1", "fz1."));
                case "network" -> pick(List.of("vlan:292", "fz-net", "nat", "hostonly", "bridged", "vlan:293"));
                case "template" -> pick(List.of("fz-web", "fz-db", "fz-web"));
                case "group" -> pick(List.of("fz-g1", "fz-g2"));
                default -> m.group(1);
            };
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String oddId() {
        return pick(List.of(new UUID(r.nextLong(), r.nextLong()).toString(), "0123456789abcdef0123", "-", "00000000-0000-0000-0000-000000000000",
                "zzzz", "x".repeat(300), "..", "%2e%2e", "1", new UUID(r.nextLong(), r.nextLong()).toString().toUpperCase()));
    }

    // ---- request lines ----------------------------------------------------------------------------

    private String method() {
        return pick(List.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "PATCH", "CONNECT", "FOO", "PROPFIND",
                "get", "post", "Delete", "G\u00e9T", "X".repeat(1 + r.nextInt(2000)), "GET\u0000", "M-SEARCH", "PRI"));
    }

    private String path(String path) {
        StringBuilder p = new StringBuilder(path);
        int times = 1 + r.nextInt(3);
        for (int i = 0; i < times; i++) {
            int at = r.nextInt(p.length() + 1);
            String insert = pick(List.<Supplier<String>>of(
                    () -> "%" + String.format("%02X", r.nextInt(256)),
                    () -> pick(List.of("%zz", "%", "%4", "%00", "%2F", "%2f", "%2e%2e/", "%C3%A9", "%ED%A0%80", "%FF%FE", "%u0041")),
                    () -> pick(List.of("/../", "/./", "//", "/..", "/.", "/../../../../etc/passwd", "\\..\\")),
                    () -> pick(List.of("\u00e9", "\u263a", "\ud83d\ude00", "\u202e", "\u0000", "\t", "\u007f", " ", "\u00a0")),
                    () -> "/" + "a".repeat(1 + r.nextInt(r.nextInt(20) == 0 ? 100_000 : 2000)),
                    () -> pick(List.of("?", "?tag=", "?tag=%ff", "?tag=a=b&tag=", "?&&==&", "?tag=" + "k=v".repeat(5000), "#frag",
                            "?a=%zz", ";jsessionid=1", "?tag=env%3Dfuzz")),
                    () -> "/")).get();
            p.insert(at, insert);
        }
        if (r.nextInt(20) == 0) return pick(List.of("*", "http://127.0.0.1" + p, "", "vms", "//vms", "http://[::1/vms"));
        return p.toString();
    }

    // ---- bodies -----------------------------------------------------------------------------------

    private byte[] mutateJson(byte[] body, List<String> mutations) {
        String text = new String(body, StandardCharsets.UTF_8);
        text = fill(text);
        if (r.nextInt(10) < 6) {
            try {
                JsonNode tree = Json.MAPPER.readTree(text);
                int times = 1 + r.nextInt(3);
                for (int i = 0; i < times; i++) mutateTree(tree, mutations);
                text = DEEP_WRITER.writeValueAsString(tree);
            } catch (IOException e) {
                throw new IllegalStateException("a seed body is not JSON: " + text, e);
            }
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(4) == 0) bytes = mutateBytes(text, mutations);
        return bytes;
    }

    /** Replaces, removes or adds one value somewhere in the tree. */
    private void mutateTree(JsonNode root, List<String> mutations) {
        List<ContainerNode<?>> containers = new ArrayList<>();
        collect(root, containers);
        ContainerNode<?> c = pick(containers);
        if (c instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            int what = r.nextInt(10);
            if (names.isEmpty() || what == 0) {
                String key = pick(List.of("unknown", "cpus", "memory", "image", "name", "__proto__", "", "x".repeat(10_000), "\u0000"));
                o.set(key, value());
                mutations.add("json +" + shortly(key));
            } else if (what == 1) {
                String key = pick(names);
                o.remove(key);
                mutations.add("json -" + key);
            } else {
                String key = pick(names);
                JsonNode v = value();
                o.set(key, v);
                mutations.add("json " + key + "=" + shortly(write(v)));
            }
        } else if (c instanceof ArrayNode a) {
            if (a.isEmpty() || r.nextBoolean()) {
                a.add(value());
                mutations.add("json array+");
            } else {
                int i = r.nextInt(a.size());
                a.set(i, value());
                mutations.add("json array[" + i + "]");
            }
        }
    }

    private static void collect(JsonNode n, List<ContainerNode<?>> out) {
        if (n instanceof ContainerNode<?> c) out.add(c);
        n.forEach(child -> collect(child, out));
    }

    /** A value of any type and size a careless or hostile client might send. */
    private JsonNode value() {
        return switch (r.nextInt(16)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(r.nextBoolean());
            case 2 -> NODES.numberNode(pick(List.of(0, -1, 1, 2, 255, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE)));
            case 3 -> NODES.numberNode(pick(List.of(new BigInteger("9223372036854775808"), new BigInteger("-9223372036854775809"),
                    BigInteger.TEN.pow(400), BigInteger.valueOf(Long.MAX_VALUE))));
            case 4 -> NODES.numberNode(pick(List.of(new BigDecimal("1e400"), new BigDecimal("-0.0"), new BigDecimal("0.5"),
                    new BigDecimal("1.5e-400"), new BigDecimal("1024.000000001"))));
            case 5 -> NODES.textNode(pick(List.of("", " ", "0", "-1", "1gib", "-1gib", "1e3mib", "99999999999999999999tib", "0.0001kib",
                    "NaN", "true", "null", "nat", "vlan:292", "fz-web", "10.50.0.0/33", "10.50.0.0/24", "::1/128")));
            case 6 -> NODES.textNode(pick(List.of(url("/x"), "file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)",
                    "http://[::1]:" + closedPort + "/", "http://2130706433:" + closedPort + "/", "http://169.254.169.254/latest",
                    "http://user:pw@127.0.0.1:" + closedPort + "/", "https://127.0.0.1:" + closedPort + "/", "unix:///tmp/x.sock",
                    "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http://%zz/")));
            case 7 -> NODES.textNode(pick(List.of("fz1", "a".repeat(64), "a".repeat(254), "-lead", "UPPER.example.com", "a b", "../etc",
                    "a/b", "a\u0000b", "$(reboot)", "`id`", "a;b", "*", "a,b=c", "\u00e9t\u00e9", "xn--", "localhost")));
            case 8 -> NODES.textNode(randomText(1 + r.nextInt(100)));
            case 9 -> NODES.textNode(randomText(r.nextInt(20) == 0 ? 300_000 : 5_000));
            case 10 -> NODES.textNode(pick(List.of("\ud83d\ude00", "\u202e\u0041", "\u0000", "\uffff", "\r\n", "\\", "\"", "<", "]]>",
                    "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><template>&e;</template>",
                    "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><template>&b;</template>",
                    "<template><name>x</name><os>" + "<a>".repeat(5000) + "</os></template>", "<template>", "<template/>")));
            case 11 -> {
                ArrayNode a = NODES.arrayNode();
                int n = r.nextInt(10) == 0 ? 20_000 : r.nextInt(4);
                for (int i = 0; i < n; i++) a.add(r.nextBoolean() ? NODES.numberNode(r.nextInt(100)) : NODES.textNode(randomText(4)));
                yield a;
            }
            case 12 -> {
                ObjectNode o = NODES.objectNode();
                int n = r.nextInt(10) == 0 ? 5_000 : r.nextInt(4);
                for (int i = 0; i < n; i++) o.put(randomText(1 + r.nextInt(8)), randomText(r.nextInt(8)));
                yield o;
            }
            case 13 -> {
                // Deep nesting, up to the parser's limit (1000); deeper text comes from mutateBytes.
                int depth = r.nextInt(5) == 0 ? 900 + r.nextInt(200) : 1 + r.nextInt(200);
                JsonNode n = NODES.numberNode(1);
                for (int i = 0; i < depth; i++) n = r.nextBoolean() ? NODES.arrayNode().add(n) : NODES.objectNode().set("a", n);
                yield n;
            }
            case 14 -> NODES.numberNode(r.nextGaussian() * 1e6);
            default -> NODES.numberNode(r.nextLong());
        };
    }

    private String randomText(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = r.nextInt(10);
            if (kind < 7) s.append((char) (0x20 + r.nextInt(0x5f)));
            else if (kind < 9) s.appendCodePoint(0xa0 + r.nextInt(0x2000));
            else s.append((char) r.nextInt(0x20));
        }
        return s.toString();
    }

    /** Mutations of the text itself: JSON that is broken, differently encoded or no JSON at all. */
    private byte[] mutateBytes(String text, List<String> mutations) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int what = r.nextInt(16);
        mutations.add("bytes #" + what);
        return switch (what) {
            case 0 -> java.util.Arrays.copyOf(utf8, r.nextInt(utf8.length + 1)); // truncated
            case 1 -> insert(utf8, pick(List.of(new byte[] {(byte) 0xff}, new byte[] {(byte) 0xc3}, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                    new byte[] {(byte) 0xc0, (byte) 0xaf}, new byte[] {0}, new byte[] {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                    new byte[] {(byte) 0xef, (byte) 0xbf, (byte) 0xbe})));
            case 2 -> text.getBytes(pick(List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                    Charset.forName("UTF-32"), StandardCharsets.ISO_8859_1)));
            case 3 -> concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8); // a BOM
            case 4 -> text.replaceFirst("\\{", "{\"cpus\": 1, \"cpus\": \"x\", ").getBytes(StandardCharsets.UTF_8); // duplicate keys
            case 5 -> text.replaceFirst("}$", ",}").getBytes(StandardCharsets.UTF_8); // the seeds' trailing comma
            case 6 -> text.replaceFirst("}$", "}}").replaceFirst(",", ",,").getBytes(StandardCharsets.UTF_8);
            case 7 -> {
                int depth = pick(List.of(999, 1001, 5_000, 100_000));
                yield ("[".repeat(depth) + (r.nextBoolean() ? "]".repeat(depth) : "")).getBytes(StandardCharsets.UTF_8);
            }
            case 8 -> pick(List.of("", "null", "[]", "\"text\"", "123", "1".repeat(5_000), "-", "{", "}", "{\"a\":}", "{'a': 1}",
                    "{\"a\": NaN}", "{\"a\": Infinity}", "{/* c */}", "{\"a\": 1} trailing", "{\"a\": 1}{\"b\": 2}",
                    "{\"\\ud800\": \"\\udc00\\ud800\"}", "{\"a\": \"\\u00\"}", "{\"a\": 0x10}", "{\"a\": 01}", "{\"a\": 1e99999}"))
                    .getBytes(StandardCharsets.UTF_8);
            case 9 -> {
                byte[] junk = new byte[r.nextInt(4096)];
                r.nextBytes(junk);
                yield junk;
            }
            case 10 -> {
                byte[] b = utf8.clone();
                for (int i = 0; i < 1 + r.nextInt(5) && b.length > 0; i++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                yield b;
            }
            case 11 -> (text + " ".repeat((1 << 20) + r.nextInt(2) * 10)).getBytes(StandardCharsets.UTF_8); // at and over the 1 MiB limit
            case 12 -> ("a=b&c=%zz&&=&template=" + "%".repeat(r.nextInt(3))).getBytes(StandardCharsets.UTF_8); // a form
            case 13 -> text.replace("\"", "'").getBytes(StandardCharsets.UTF_8);
            case 14 -> text.replaceAll("(\\d+)", "$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1").getBytes(StandardCharsets.UTF_8); // huge numbers
            default -> text.replace(" ", "\u0000 \t\r\n").getBytes(StandardCharsets.UTF_8);
        };
    }

    private byte[] mutateForm(byte[] body, List<String> mutations) {
        String filled = fill(new String(body, StandardCharsets.UTF_8));
        String text = filled;
        if (r.nextInt(10) < 4) {
            text = pick(List.<Supplier<String>>of(
                    () -> filled.replace("mock", pick(List.of("", "kvm,mock", ",,,", "MOCK", "%zz", "vsphere", "x".repeat(5000)))),
                    () -> filled + "&targets=kvm&template=",
                    () -> filled + "&oauth_signature=%zz&oauth_consumer_key=",
                    () -> filled.replace("%", "%%"),
                    () -> filled.replace("=", ""),
                    () -> filled.replace("template=", "template=" + URLEncoder.encode("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
                            StandardCharsets.UTF_8)),
                    () -> "{\"targets\": \"mock\"}")).get();
            mutations.add("form");
        }
        if (r.nextInt(5) == 0) return mutateBytes(text, mutations);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // ---- headers and framing ----------------------------------------------------------------------

    /** The header lines; overLimits: more or larger headers than the JDK's server reads (it closes then). */
    private static final class Head {
        final List<byte[]> lines = new ArrayList<>();
        boolean overLimits;

        void add(String name, String value) {
            lines.add((name + ": " + value).getBytes(StandardCharsets.UTF_8));
        }

        void raw(byte[] line) {
            lines.add(line);
        }
    }

    private String contentType() {
        return pick(List.of("application/json", "application/json; charset=utf-8", "application/json; charset=utf-16",
                "APPLICATION/JSON", "application/jsonx", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/xml", "", " ", ";", "application/json; charset=\"", "*/*", "application/" + "x".repeat(5_000),
                "application/json;;;", "application/json, text/plain", "\u00e9"));
    }

    private void headers(Head head, List<String> mutations) {
        int times = 1 + r.nextInt(2);
        for (int i = 0; i < times; i++) {
            int what = r.nextInt(17);
            mutations.add("header #" + what);
            switch (what) {
                case 0 -> head.add("Host", pick(List.of("", "evil.example", "127.0.0.1:1", "[::1", "a b", "x".repeat(3000))));
                case 1 -> head.lines.removeIf(l -> new String(l, StandardCharsets.ISO_8859_1).startsWith("Host:"));
                case 2 -> {
                    int size = r.nextInt(10) == 0 ? 400_000 : 1 + r.nextInt(60_000);
                    head.add("X-Fuzz", "v".repeat(size));
                    head.overLimits |= size > 300_000;
                }
                case 3 -> {
                    int count = r.nextInt(10) == 0 ? 250 : 1 + r.nextInt(150);
                    for (int h = 0; h < count; h++) head.add("X-Many-" + h, "v");
                    head.overLimits |= count > 190;
                }
                case 4 -> head.raw(pick(List.of("X Fuzz: v", "(x): y", ": empty name", "no colon at all", " folded: line",
                        "X-Fuzz:\tv", "X-Fuzz : v", "X-\u00e9: v", "X-Fuzz: a\u0001b\u007fc")).getBytes(StandardCharsets.UTF_8));
                case 5 -> head.raw(concat("X-Fuzz: ".getBytes(StandardCharsets.ISO_8859_1), new byte[] {(byte) 0xff, (byte) 0xc3, 0x28}));
                case 6 -> {
                    head.add("X-Folded", "first");
                    head.raw(" continued".getBytes(StandardCharsets.ISO_8859_1)); // obs-fold
                }
                case 7 -> head.add("Expect", pick(List.of("100-continue", "200-ok", "")));
                case 8 -> head.add("Accept", pick(List.of("text/html", "application/xml", "*/*", "application/json", "", "x".repeat(2000))));
                case 9 -> head.add("Authorization", pick(List.of("OAuth oauth_consumer_key=\"k\", oauth_signature=\"%zz\"", "OAuth ", "Basic Zm9v",
                        "OAuth oauth_consumer_key=\"" + "k".repeat(4000) + "\"", "OAuth ,,,=\"")));
                case 10 -> head.add("content-type", pick(List.of("application/json", "text/plain"))); // a second type, other case
                case 11 -> head.add("Connection", pick(List.of("close", "keep-alive", "Upgrade", "foo, close")));
                case 12 -> head.add("Upgrade", pick(List.of("h2c", "websocket")));
                case 13 -> { // two Upgrade headers, the second a WebSocket one: never an unsigned socket
                    head.add("Upgrade", pick(List.of("h2c", "TLS/1.2", "websocket")));
                    head.add("Upgrade", pick(List.of("websocket", "WebSocket", "websocket/13")));
                    head.add("Connection", pick(List.of("Upgrade", "keep-alive, Upgrade", "close")));
                    head.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
                    head.add("Sec-WebSocket-Version", "13");
                }
                case 14 -> head.add("Host", pick(List.of("127.0.0.1", "evil.example", "localhost"))); // a second Host
                case 15 -> { // an Upgrade folded over two lines (obs-fold)
                    head.add("Upgrade", "h2c,");
                    head.raw(" websocket".getBytes(StandardCharsets.ISO_8859_1));
                }
                default -> head.add("Cookie", "a=" + "b".repeat(r.nextInt(1000)));
            }
        }
    }

    /** How the body is delimited. whole: the request is complete as framed (however wrongly). */
    private record Framing(List<byte[]> headers, byte[] body, boolean whole) {}

    private Framing frame(byte[] body, boolean writes, List<String> mutations) {
        List<byte[]> h = new ArrayList<>();
        if (body == null) {
            if (writes && r.nextBoolean()) h.add(bytes("Content-Length: 0"));
            body = new byte[0];
        }
        boolean chunked = r.nextInt(10) < 3;
        if (r.nextInt(7) != 0) {
            if (chunked) {
                h.add(bytes("Transfer-Encoding: chunked"));
                return new Framing(h, chunks(body, null), true);
            }
            if (body.length > 0 || h.isEmpty()) h.add(bytes("Content-Length: " + body.length));
            return new Framing(h, body, true);
        }
        int what = r.nextInt(13);
        mutations.add("framing #" + what);
        h.clear();
        return switch (what) {
            case 0 -> new Framing(List.of(bytes("Content-Length: " + Math.max(0, body.length - 1 - r.nextInt(10)))), body, true); // the rest is a next request
            case 1 -> new Framing(List.of(bytes("Content-Length: " + (body.length + 1 + r.nextInt(100)))), body, false); // the body ends early
            case 2 -> {
                String length = pick(List.of("abc", "-5", "+5", " 5", "5 5", "0x10", "", "99999999999999999999", "1e3", "\u00e9", "0"));
                // "+5" and " 5" are read as 5 by some servers: then the request is whole only if the body has 5 bytes.
                yield new Framing(List.of(bytes("Content-Length: " + length)), body, !length.strip().matches("\\+?\\d{1,18}")
                        || Long.parseLong(length.strip()) <= body.length);
            }
            case 3 -> new Framing(List.of(bytes("Content-Length: " + body.length), bytes("Content-Length: " + (body.length + r.nextInt(2)))), body, true);
            case 4 -> new Framing(List.of(bytes("Content-Length: " + body.length), bytes("Transfer-Encoding: chunked")), chunks(body, null), true);
            case 5 -> {
                String coding = pick(List.of("gzip", "chunked, gzip", "gzip, chunked", "identity", "Chunked", "chunked ", "x-unknown", ""));
                // Codings that end in chunked may be taken as chunked: then the unchunked body is an incomplete request.
                yield new Framing(List.of(bytes("Transfer-Encoding: " + coding)), body, !coding.strip().toLowerCase().endsWith("chunked"));
            }
            case 6 -> new Framing(List.of(bytes("Transfer-Encoding: chunked"), bytes("Transfer-Encoding: chunked")), chunks(body, null), true);
            case 7 -> new Framing(List.of(bytes("Transfer-Encoding: chunked")),
                    chunks(body, pick(List.of("zz", "-1", "0x10", "1 0", "fffffffffffffffff", "1;", ";", "\u00e9"))), true); // a bad size line
            case 8 -> { // a chunk bigger than its data, then the end of the request
                byte[] c = concat(bytes(Integer.toHexString(body.length + 1 + r.nextInt(1000)) + "\r\n"), body);
                yield new Framing(List.of(bytes("Transfer-Encoding: chunked")), c, false);
            }
            case 9 -> { // chunk data without its CRLF
                byte[] c = concat(bytes(Integer.toHexString(body.length + 1) + "\r\n"), concat(body, bytes("x0\r\n\r\n")));
                yield new Framing(List.of(bytes("Transfer-Encoding: chunked")), c, true);
            }
            case 10 -> { // no last chunk
                byte[] c = chunks(body, null);
                yield new Framing(List.of(bytes("Transfer-Encoding: chunked")), java.util.Arrays.copyOf(c, Math.max(0, c.length - 5)), false);
            }
            case 11 -> new Framing(List.of(), body, true); // a body with no length: HTTP reads it as the next request
            default -> new Framing(List.of(bytes("Transfer-Encoding: chunked")),
                    concat(bytes("ffffffff\r\n"), body), false); // a 4 GiB chunk announced, a few bytes sent
        };
    }

    /** The body in random chunks (with extensions now and then); badSize replaces one size line. */
    private byte[] chunks(byte[] body, String badSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        boolean bad = badSize != null;
        while (at < body.length) {
            int n = Math.min(body.length - at, 1 + r.nextInt(Math.max(1, body.length / 2 + 1)));
            String size = Integer.toHexString(n) + (r.nextInt(10) == 0 ? ";ext=" + r.nextInt(9) : "");
            if (bad && r.nextBoolean()) {
                size = badSize;
                bad = false;
            }
            out.writeBytes(bytes(size + "\r\n"));
            out.write(body, at, n);
            out.writeBytes(CRLF);
            at += n;
        }
        out.writeBytes(bytes((bad ? badSize : "0") + "\r\n\r\n"));
        return out.toByteArray();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private byte[] insert(byte[] into, byte[] what) {
        int at = r.nextInt(into.length + 1);
        byte[] out = new byte[into.length + what.length];
        System.arraycopy(into, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(into, at, out, at + what.length, into.length - at);
        return out;
    }

    private static String write(JsonNode n) {
        try {
            return DEEP_WRITER.writeValueAsString(n);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a tree always serialises
        }
    }

    private static String shortly(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + ")" : s;
    }

    private <T> T pick(List<T> choices) {
        return choices.get(r.nextInt(choices.size()));
    }
}
