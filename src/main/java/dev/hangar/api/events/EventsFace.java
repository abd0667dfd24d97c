package dev.hangar.api.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import dev.hangar.api.operations.OperationsFace;
import dev.hangar.core.HangarException;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.vms.Vm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /events}: every VM change and every operation's progress, as Server-Sent Events, for as
 * long as the client listens. Each event is {@code event: vm|operation} and one line of JSON naming
 * the object's id; {@code ?type=vm} or {@code ?type=operation} (repeatable) keeps only those. A comment
 * line every {@link #KEEPALIVE} keeps proxies from closing a quiet stream. A client too slow to take
 * {@link #BACKLOG} events is dropped (it reconnects and reads the current state from the API); past
 * {@link #MAX_STREAMS} open streams, {@link #MAX_STREAMS_PER_SOURCE} from one address or
 * {@link #MAX_STREAMS_PER_CLIENT} for one OAuth client, a new one is refused 429 too-many-event-streams:
 * one client cannot take the streams everyone else needs.
 */
public final class EventsFace {
    static final Duration KEEPALIVE = Duration.ofSeconds(15);
    static final int BACKLOG = 1000;
    private static final Set<String> TYPES = Set.of("vm", "operation");

    private record Event(String type, String json) {}

    private record Listener(String source, String client, Set<String> types, BlockingQueue<Event> queue, java.util.concurrent.atomic.AtomicBoolean dropped) {}

    /** Streams open at once at most: each holds a connection and a queue; reads are open to anyone who reaches the listener. */
    static final int MAX_STREAMS = 256;
    /** Streams one source address may hold: one client cannot take every stream (the console's lists need theirs). */
    static final int MAX_STREAMS_PER_SOURCE = 8;
    /** Streams one OAuth client may hold, from however many addresses. */
    static final int MAX_STREAMS_PER_CLIENT = 16;

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;

    public EventsFace(Clock clock) {
        this.clock = clock;
    }

    public void register(ApiServer server) {
        server.route("GET", "/events", this::stream);
    }

    /** A VM record changed (a removed one reads deleting). Only queues. */
    public void vmChanged(Vm vm) {
        if (listeners.isEmpty()) return; // nobody watches: nothing to render on the write path
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", "vm");
        o.put("id", vm.id().toString());
        if (vm.name() != null) o.put("name", vm.name());
        o.put("status", vm.status().wireName());
        o.put("ip_address", vm.ipAddress());
        if (vm.error() != null) o.set("error", Json.MAPPER.valueToTree(ApiServer.error(vm.error().code(), vm.error().message())));
        o.put("time", clock.instant().toString());
        publish(new Event("vm", o.toString()));
    }

    /** An operation was saved. Only queues. */
    public void operationChanged(Operation op) {
        if (listeners.isEmpty()) return;
        ObjectNode o = Json.MAPPER.createObjectNode().put("type", "operation");
        o.setAll(OperationsFace.render(op)); // the same fields GET /operations/ID shows
        o.put("time", op.updatedAt().toString());
        publish(new Event("operation", o.toString()));
    }

    private void publish(Event event) {
        for (Listener l : listeners) {
            if (l.types.contains(event.type) && !l.queue.offer(event)) {
                l.dropped.set(true); // too slow: its stream says so and ends at its next poll
                listeners.remove(l);
            }
        }
    }

    private void stream(Exchange ex) throws IOException {
        List<String> asked = ex.queryParams("type");
        for (String t : asked) {
            if (!TYPES.contains(t)) throw HangarException.invalid("invalid-event-type", "type must be one of " + TYPES + ", not " + t);
        }
        if (ex.method().equals("HEAD")) {
            // The stream's headers only: a HEAD never holds a stream open (nor counts against the limits).
            ex.stream(200, "text/event-stream; charset=utf-8").close();
            return;
        }
        Listener me = new Listener(ex.remoteAddress(), ex.principal(), asked.isEmpty() ? TYPES : Set.copyOf(asked), new LinkedBlockingQueue<>(BACKLOG),
                new java.util.concurrent.atomic.AtomicBoolean());
        synchronized (listeners) {
            if (listeners.size() >= MAX_STREAMS) {
                throw new HangarException(HangarException.Kind.TOO_MANY, "too-many-event-streams",
                        MAX_STREAMS + " event streams are open, the most at once; close one, or ask again later");
            }
            if (listeners.stream().filter(l -> l.source.equals(ex.remoteAddress())).count() >= MAX_STREAMS_PER_SOURCE) {
                throw new HangarException(HangarException.Kind.TOO_MANY, "too-many-event-streams",
                        MAX_STREAMS_PER_SOURCE + " event streams are open from " + ex.remoteAddress() + ", the most one address may hold");
            }
            if (me.client != null && listeners.stream().filter(l -> me.client.equals(l.client)).count() >= MAX_STREAMS_PER_CLIENT) {
                throw new HangarException(HangarException.Kind.TOO_MANY, "too-many-event-streams",
                        MAX_STREAMS_PER_CLIENT + " event streams are open for client " + me.client + ", the most one client may hold");
            }
            listeners.add(me);
        }
        try (OutputStream out = ex.stream(200, "text/event-stream; charset=utf-8")) {
            write(out, ": hangar events\n\n");
            while (true) {
                Event e = me.dropped.get() ? null : me.queue.poll(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
                if (me.dropped.get()) {
                    write(out, "event: dropped\ndata: {\"code\": \"events-dropped\", \"message\": \"too slow to keep up; reconnect\"}\n\n");
                    return;
                } else if (e == null) {
                    write(out, ": keepalive\n\n"); // also finds a client that went away
                } else {
                    write(out, "event: " + e.type + "\ndata: " + e.json + "\n\n");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException gone) {
            // the client closed the stream
        } finally {
            listeners.remove(me);
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** How many streams are open (for tests). */
    int listeners() {
        return listeners.size();
    }
}
