package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The callbacks' outbox in a real SQLite file: what is forgotten once delivered, and what never is. */
class CallbackOutboxTest {
    @Test
    void finishedCallbacksAreForgottenAfterTheirRetentionAndPendingOnesNever(@TempDir Path dir) throws Exception {
        try (Database db = Database.open(dir.resolve("h.db"))) {
            CallbackOutbox outbox = new CallbackOutbox(db);
            Instant longAgo = Instant.now().minus(Duration.ofDays(30));
            long delivered = outbox.enqueue("vm1", "http://cb.test/", "{}", longAgo, Duration.ofHours(1));
            long abandoned = outbox.enqueue("vm2", "http://cb.test/", "{}", longAgo, Duration.ofHours(1));
            long pending = outbox.enqueue("vm3", "http://cb.test/", "{}", longAgo, Duration.ofHours(1));
            long recent = outbox.enqueue("vm4", "http://cb.test/", "{}", Instant.now(), Duration.ofHours(1));
            outbox.delivered(delivered, 1);
            outbox.abandoned(abandoned, 5, "HTTP 404");
            outbox.delivered(recent, 1);

            assertEquals(2, outbox.forgetFinished(Instant.now().minus(Duration.ofDays(7))));
            assertEquals(Optional.empty(), outbox.state(delivered));
            assertEquals(Optional.empty(), outbox.state(abandoned));
            assertEquals(Optional.of("pending"), outbox.state(pending), "a pending callback is never forgotten");
            assertEquals(Optional.of("delivered"), outbox.state(recent), "delivered within the retention: kept");
            assertEquals(0, outbox.forgetFinished(Instant.now().minus(Duration.ofDays(7))));
        }
    }
}
