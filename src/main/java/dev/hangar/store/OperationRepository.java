package dev.hangar.store;

import dev.hangar.core.Problem;
import dev.hangar.core.operations.Operation;
import dev.hangar.core.operations.OperationStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Operations in the database. */
public final class OperationRepository implements OperationStore {
    private final Database db;

    public OperationRepository(Database db) {
        this.db = db;
    }

    @Override
    public void save(Operation op) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO operations (id, kind, target, status, progress, "
                    + "phase, error_code, error_message, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, op.id().toString());
                ps.setString(2, op.kind());
                ps.setString(3, op.target());
                ps.setString(4, op.status().name());
                ps.setInt(5, op.progress());
                ps.setString(6, op.phase());
                ps.setString(7, op.error() == null ? null : op.error().code());
                ps.setString(8, op.error() == null ? null : op.error().message());
                ps.setLong(9, op.createdAt().toEpochMilli());
                ps.setLong(10, op.updatedAt().toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public Optional<Operation> find(UUID id) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM operations WHERE id = ?")) {
                ps.setString(1, id.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<Operation> recent(int limit) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM operations ORDER BY updated_at DESC, rowid DESC LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Operation> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    private static Operation read(ResultSet rs) throws SQLException {
        String code = rs.getString("error_code");
        return new Operation(UUID.fromString(rs.getString("id")), rs.getString("kind"), rs.getString("target"),
                Operation.Status.valueOf(rs.getString("status")), rs.getInt("progress"), rs.getString("phase"),
                code == null ? null : new Problem(code, rs.getString("error_message")),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
