package dev.hangar.store;

import dev.hangar.core.HangarException;
import dev.hangar.core.groups.Template;
import dev.hangar.core.groups.TemplateStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Templates in the database: a name and its settings as JSON. */
public final class TemplateRepository implements TemplateStore {
    private final Database db;

    public TemplateRepository(Database db) {
        this.db = db;
    }

    @Override
    public void insert(Template t) {
        db.insertUnique("INSERT INTO templates (name, settings, created_at, updated_at) VALUES (?, ?, ?, ?)", ps -> {
            ps.setString(1, t.name());
            ps.setString(2, BlueprintJson.write(t.blueprint()));
            ps.setLong(3, t.createdAt().toEpochMilli());
            ps.setLong(4, t.updatedAt().toEpochMilli());
        }, () -> new HangarException(HangarException.Kind.CONFLICT, "template-exists", "a template named " + t.name() + " exists"));
    }

    @Override
    public void update(Template t) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE templates SET settings = ?, updated_at = ? WHERE name = ?")) {
                ps.setString(1, BlueprintJson.write(t.blueprint()));
                ps.setLong(2, t.updatedAt().toEpochMilli());
                ps.setString(3, t.name());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public Optional<Template> find(String name) {
        List<Template> found = query("SELECT * FROM templates WHERE name = ?", name);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    @Override
    public List<Template> all() {
        return query("SELECT * FROM templates ORDER BY name");
    }

    @Override
    public void delete(String name) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM templates WHERE name = ?")) {
                ps.setString(1, name);
                return ps.executeUpdate();
            }
        });
    }

    private List<Template> query(String sql, String... args) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Template> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    private static Template read(ResultSet rs) throws SQLException {
        return new Template(rs.getString("name"), BlueprintJson.read(rs.getString("settings")),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
