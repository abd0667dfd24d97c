package dev.hangar.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Callbacks waiting to be delivered, in the database so they outlive a restart; the dispatcher delivers
 * what is due. The VM service clears a VM's "awaiting address" mark only after its callback is here, so
 * a crash in between sends the callback again: delivery is at least once.
 */
public final class CallbackOutbox {
    /** One callback: vmId names what it is about (a VM's id, or an image's for Image Factory's); method is POST or PUT. */
    public record Entry(long id, String vmId, String url, String method, String body, int attempts, Instant giveUpAt) {}

    private final Database db;

    public CallbackOutbox(Database db) {
        this.db = db;
    }

    public long enqueue(String vmId, String url, String body, Instant now, Duration retryFor) {
        return enqueue(vmId, url, "POST", body, now, retryFor);
    }

    /** A callback with this method (Image Factory's are PUTs). */
    public long enqueue(String vmId, String url, String method, String body, Instant now, Duration retryFor) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO callbacks (vm_id, url, method, body, next_attempt_at, give_up_at) VALUES (?,?,?,?,?,?)",
                    PreparedStatement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, vmId);
                ps.setString(2, url);
                ps.setString(3, method);
                ps.setString(4, body);
                ps.setLong(5, now.toEpochMilli());
                ps.setLong(6, now.plus(retryFor).toEpochMilli());
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    /**
     * Pending entries whose next attempt is due, oldest first; an entry waits while an older one for the
     * same subject and URL is pending, so a receiver gets one subject's callbacks in the order they were
     * made, a retried one before any newer.
     */
    public List<Entry> due(Instant now, int limit) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, vm_id, url, method, body, attempts, give_up_at FROM callbacks c "
                    + "WHERE state = 'pending' AND next_attempt_at <= ? AND NOT EXISTS (SELECT 1 FROM callbacks o WHERE o.state = 'pending' "
                    + "AND o.vm_id = c.vm_id AND o.url = c.url AND o.id < c.id) ORDER BY next_attempt_at, id LIMIT ?")) {
                ps.setLong(1, now.toEpochMilli());
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Entry> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6),
                                Instant.ofEpochMilli(rs.getLong(7))));
                    }
                    return out;
                }
            }
        });
    }

    /** How many callbacks wait to be delivered (with their retries). */
    public long pendingCount() {
        return db.with(c -> {
            try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM callbacks WHERE state = 'pending'")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** When the earliest pending entry is due, if any: the dispatcher sleeps until then. */
    public Optional<Instant> nextDue() {
        return db.with(c -> {
            try (var s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT MIN(next_attempt_at) FROM callbacks WHERE state = 'pending'")) {
                long t = rs.next() ? rs.getLong(1) : 0;
                return rs.wasNull() || t == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(t));
            }
        });
    }

    public void delivered(long id, int attempts) {
        finish(id, "delivered", attempts, null);
    }

    public void abandoned(long id, int attempts, String error) {
        finish(id, "abandoned", attempts, error);
    }

    public void retryAt(long id, int attempts, Instant next, String error) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE callbacks SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?")) {
                ps.setInt(1, attempts);
                ps.setLong(2, next.toEpochMilli());
                ps.setString(3, error);
                ps.setLong(4, id);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Forgets delivered and abandoned entries whose last attempt was due before {@code before} (their
     * bodies may hold what a client would rather not keep); pending ones stay whatever their age. How
     * many went.
     */
    public int forgetFinished(Instant before) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM callbacks WHERE state <> 'pending' AND next_attempt_at < ?")) {
                ps.setLong(1, before.toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    /** The state of one entry (pending, delivered, abandoned), for tests and diagnostics. */
    public Optional<String> state(long id) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT state FROM callbacks WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    private void finish(long id, String state, int attempts, String error) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE callbacks SET state = ?, attempts = ?, last_error = ? WHERE id = ?")) {
                ps.setString(1, state);
                ps.setInt(2, attempts);
                ps.setString(3, error);
                ps.setLong(4, id);
                return ps.executeUpdate();
            }
        });
    }
}
