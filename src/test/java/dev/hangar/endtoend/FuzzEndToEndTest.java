package dev.hangar.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.api.Json;
import dev.hangar.endtoend.FuzzRequests.Face;
import dev.hangar.endtoend.RawHttp.Kind;
import dev.hangar.endtoend.RawHttp.Outcome;
import dev.hangar.process.Command;
import dev.hangar.testing.UnixHttpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP fuzz suite: seeded random and mutated requests, sent as raw bytes, to every face of the real
 * service (the main listener, --hosts-listen, --imagefactory-listen and the InfraKit Unix socket in both
 * its forms). Every request is answered within the timeout, never with a 5xx (but the 501 and 505 HTTP
 * prescribes for unknown transfer codings and versions), and never by a closed connection where HTTP
 * expects an answer; afterwards every face still answers a normal request and the log holds no
 * unexpected error. 1,500 requests by default; {@code -Dfuzz.requests=N} (or HANGAR_FUZZ_REQUESTS) for
 * more, {@code -Dfuzz.seed=S} (or HANGAR_FUZZ_SEED) to run the requests of an earlier run again.
 *
 * <p>Nothing boots: the service runs unprivileged with user-mode networking and /bin/false as QEMU, and
 * every URL a request carries leads to a closed loopback port, so creates fail at once.
 */
class FuzzEndToEndTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(Long.getLong("fuzz.timeout", 15));
    private static final int REQUESTS = setting("fuzz.requests", "HANGAR_FUZZ_REQUESTS", 1500L).intValue();
    private static final long SEED = setting("fuzz.seed", "HANGAR_FUZZ_SEED", System.nanoTime());
    private static final int MAX_REPORTED = 20;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path data;
    static HangarProcess hangar;
    static Map<Face, SocketAddress> addresses = new EnumMap<>(Face.class);
    static Map<Face, String> hostHeaders = new EnumMap<>(Face.class);
    static Path socket;
    static int closedPort;

    private static Long setting(String property, String env, long otherwise) {
        String v = System.getProperty(property, System.getenv(env));
        return v == null || v.isBlank() ? otherwise : Long.parseLong(v.strip());
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(System.getenv("HANGAR_TEST_NETNS") != null,
                "end-to-end tests run through ./test, which gives them a network namespace");
        Command.check("chmod", "755", data.toString()); // JUnit makes it private to root; the service runs as nobody
        closedPort = freePort();
        int hostsPort = freePort();
        int factoryPort = freePort();
        socket = data.resolve("hangar").resolve("infrakit.sock");
        hangar = new HangarProcess(data.resolve("hangar"), "--network-mode", "user", "--qemu", "/bin/false",
                "--hosts-listen", "127.0.0.1:" + hostsPort, "--imagefactory-listen", "127.0.0.1:" + factoryPort,
                "--infrakit-socket", socket.toString(), "--delete-grace", "1", "--callback-retry-for", "5",
                "--max-image-size", "64mib", "--download-stall-timeout", "5", "--tools-init-timeout", "5").unprivileged().start();
        int mainPort = URI.create(hangar.base()).getPort();
        addresses.put(Face.MAIN, new InetSocketAddress("127.0.0.1", mainPort));
        addresses.put(Face.HOSTS, new InetSocketAddress("127.0.0.1", hostsPort));
        addresses.put(Face.IMAGEFACTORY, new InetSocketAddress("127.0.0.1", factoryPort));
        addresses.put(Face.INFRAKIT, RawHttp.unix(socket));
        hostHeaders.put(Face.MAIN, "127.0.0.1:" + mainPort);
        hostHeaders.put(Face.HOSTS, "127.0.0.1:" + hostsPort);
        hostHeaders.put(Face.IMAGEFACTORY, "127.0.0.1:" + factoryPort);
        hostHeaders.put(Face.INFRAKIT, "127.0.0.1");
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(socket) && System.nanoTime() < until) Thread.sleep(50);
    }

    @AfterAll
    static void stop() throws Exception {
        if (hangar == null) return;
        hangar.close();
        Processes.endDaemons(hangar.dataDir());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Counts per face, for the run's summary. */
    private static final class Tally {
        int sent;
        int closedWithoutAnswer;
        long slowestMillis;
        final Map<Integer, Integer> statuses = new TreeMap<>();
    }

    @Test
    void mutatedRequestsOnEveryFaceAreAnsweredWithoutAServerErrorOrAHang() throws Exception {
        System.out.println("fuzz: " + REQUESTS + " requests, seed " + SEED + " (-Dfuzz.seed=" + SEED + " sends them again)");
        FuzzRequests requests = new FuzzRequests(SEED, closedPort);
        Map<Face, Tally> tallies = new EnumMap<>(Face.class);
        for (Face f : Face.values()) tallies.put(f, new Tally());
        List<String> failures = new ArrayList<>();
        long started = System.nanoTime();
        for (int n = 0; n < REQUESTS; n++) {
            FuzzRequests.Request request = requests.next(n, hostHeaders);
            Outcome outcome = RawHttp.exchange(addresses.get(request.face()), request.bytes(), request.halfClose(), request.head(), TIMEOUT);
            Tally tally = tallies.get(request.face());
            tally.sent++;
            tally.slowestMillis = Math.max(tally.slowestMillis, outcome.millis());
            if (outcome.kind() == Kind.ANSWERED) {
                tally.statuses.merge(outcome.answer().status(), 1, Integer::sum);
                requests.learn(outcome.answer().text());
            } else if (outcome.kind() == Kind.CLOSED_WITHOUT_ANSWER) {
                tally.closedWithoutAnswer++;
            }
            String problem = problem(request, outcome);
            if (problem != null) failures.add(report(request, outcome, problem));
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("fuzz: %d requests in %.1f s, seed %d%n", REQUESTS, seconds, SEED);
        tallies.forEach((face, t) -> System.out.printf("fuzz: %-12s %5d sent, statuses %s, %d closed without an answer (allowed),"
                + " slowest %d ms%n", face, t.sent, t.statuses, t.closedWithoutAnswer, t.slowestMillis));

        everyFaceStillAnswers();
        cleanUp();
        Path log = Files.createDirectories(Path.of("target", "fuzz-failures")).resolve("service-" + SEED + ".log");
        Files.writeString(log, hangar.log());
        System.out.println("fuzz: the service's log is kept in " + log.toAbsolutePath());
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + REQUESTS + " requests failed (seed " + SEED + "); the first ones:\n"
                    + String.join("\n", failures.subList(0, Math.min(MAX_REPORTED, failures.size()))));
        }
        assertLogHasNoUnexpectedError();
    }

    /** What is wrong with this outcome, or null. */
    private static String problem(FuzzRequests.Request request, Outcome outcome) {
        return switch (outcome.kind()) {
            case TIMED_OUT -> "a hang: " + outcome.detail();
            case MALFORMED_ANSWER -> "a broken answer: " + outcome.detail();
            case CLOSED_WITHOUT_ANSWER -> request.mustAnswer() ? "closed without an answer: " + outcome.detail() : null;
            case ANSWERED -> {
                int status = outcome.answer().status();
                if (status >= 500 && status != 501 && status != 505) yield "a server error " + status + ": " + outcome.answer().text();
                yield errorShape(request, outcome.answer());
            }
        };
    }

    /** Hangar's own errors (JSON ones; the HTTP servers' own refusals are HTML) say what went wrong in their face's form. */
    private static String errorShape(FuzzRequests.Request request, RawHttp.Answer answer) {
        String type = answer.header("Content-Type");
        if (answer.status() < 400 || request.head() || type == null || !type.startsWith("application/json")) return null;
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(answer.body());
        } catch (IOException e) {
            return "an error answer that is not JSON: " + answer.text();
        }
        if (request.face() == Face.INFRAKIT) {
            return body != null && body.path("error").isTextual() ? null : "an InfraKit error without its \"error\" text: " + answer.text();
        }
        return body != null && body.path("code").isTextual() && body.path("message").isTextual() ? null
                : "an error without code and message: " + answer.text();
    }

    private static String report(FuzzRequests.Request request, Outcome outcome, String problem) {
        Path saved = Path.of("target", "fuzz-failures", "seed-" + SEED, "request-" + request.number() + ".bin");
        try {
            Files.createDirectories(saved.getParent());
            Files.write(saved, request.bytes());
        } catch (IOException e) {
            saved = null;
        }
        return "---- request " + request.number() + " to " + request.face() + " (" + String.join(", ", request.mutations()) + "): "
                + problem + (outcome.writeFailed() ? " [the server stopped reading the request]" : "")
                + "\n" + (saved == null ? "" : "bytes in " + saved.toAbsolutePath() + "\n") + RawHttp.escape(request.bytes(), 3000);
    }

    private void everyFaceStillAnswers() throws Exception {
        for (Face face : List.of(Face.MAIN, Face.HOSTS, Face.IMAGEFACTORY)) {
            String path = switch (face) {
                case MAIN -> "/vms";
                case HOSTS -> "/hosts";
                default -> "/imagefactory";
            };
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://" + hostHeaders.get(face) + path))
                    .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), face + " after the fuzzing: " + answer.body());
        }
        UnixHttpClient.Answer hello = new UnixHttpClient(socket).send("POST", "/", "application/json",
                "{\"jsonrpc\": \"2.0\", \"method\": \"Handshake.Hello\", \"params\": {}, \"id\": 1}");
        assertEquals(200, hello.status(), hello.body());
        assertTrue(hello.json().path("result").has("Objects"), hello.body());
    }

    /** Deletes what the requests made (groups first: they would make their members again), and checks it is gone. */
    private void cleanUp() throws Exception {
        for (String collection : List.of("/groups", "/templates", "/hosts", "/networks")) {
            for (JsonNode item : getJson(collection)) delete(collection + "/" + segment(item.get("name").textValue()));
        }
        for (String kind : List.of("provider_images", "target_images", "base_images")) {
            for (JsonNode image : getJson("/imagefactory/" + kind).path(kind)) delete("/imagefactory/" + kind + "/" + image.get("id").textValue());
        }
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode left = getJson("/vms");
        while (!left.isEmpty() && System.nanoTime() < until) {
            for (JsonNode vm : left) delete("/vms/" + vm.get("id").textValue());
            Thread.sleep(1000);
            left = getJson("/vms");
        }
        assertEquals(0, left.size(), "every VM the requests made is deleted: " + left);
    }

    private static JsonNode getJson(String path) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(hangar.base() + path)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), path + ": " + answer.body());
        return Json.MAPPER.readTree(answer.body());
    }

    private static void delete(String path) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(hangar.base() + path)).DELETE().timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    private static String segment(String name) {
        return java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * ApiServer logs a stack for every 500 it answers, InfraKit's protocol for every unexpected failure:
     * none may be there, nor any other error or stack.
     */
    private static void assertLogHasNoUnexpectedError() {
        List<String> errors = hangar.log().lines().filter(l -> l.contains("[ERROR]") || l.startsWith("\tat ")).limit(40).toList();
        assertEquals(List.of(), errors, "the service logged no error (seed " + SEED + ")");
    }
}
