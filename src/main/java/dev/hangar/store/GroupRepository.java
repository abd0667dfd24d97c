package dev.hangar.store;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hangar.core.HangarException;
import dev.hangar.core.groups.Group;
import dev.hangar.core.groups.GroupEvent;
import dev.hangar.core.groups.GroupStore;
import dev.hangar.core.vms.VmStatus;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Groups and their recent events in the database. */
public final class GroupRepository implements GroupStore {
    private static final int EVENTS_KEPT = 100;
    private static final String COLUMNS = "name, template, settings, size, logical_ids, unhealthy, rolling, created_at, updated_at";

    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

    private final Database db;

    public GroupRepository(Database db) {
        this.db = db;
    }

    @Override
    public void insert(Group g) {
        db.insertUnique("INSERT INTO groups (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ps -> bind(ps, g),
                () -> new HangarException(HangarException.Kind.CONFLICT, "group-exists", "a group named " + g.name() + " exists"));
    }

    @Override
    public void update(Group g) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE groups SET (" + COLUMNS + ") = (?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE name = ?")) {
                bind(ps, g);
                ps.setString(10, g.name());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public Optional<Group> find(String name) {
        List<Group> found = query("SELECT " + COLUMNS + " FROM groups WHERE name = ?", name);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    @Override
    public List<Group> all() {
        return query("SELECT " + COLUMNS + " FROM groups ORDER BY name");
    }

    @Override
    public List<String> usingTemplate(String template) {
        return query("SELECT " + COLUMNS + " FROM groups WHERE template = ? ORDER BY name", template).stream().map(Group::name).toList();
    }

    @Override
    public void delete(String name) {
        db.with(c -> {
            try (PreparedStatement events = c.prepareStatement("DELETE FROM group_events WHERE group_name = ?");
                 PreparedStatement group = c.prepareStatement("DELETE FROM groups WHERE name = ?")) {
                events.setString(1, name);
                events.executeUpdate();
                group.setString(1, name);
                return group.executeUpdate();
            }
        });
    }

    @Override
    public void addEvent(GroupEvent e) {
        db.with(c -> {
            try (PreparedStatement add = c.prepareStatement("INSERT INTO group_events (group_name, at, message) VALUES (?, ?, ?)");
                 PreparedStatement trim = c.prepareStatement("DELETE FROM group_events WHERE group_name = ? AND id NOT IN "
                         + "(SELECT id FROM group_events WHERE group_name = ? ORDER BY id DESC LIMIT " + EVENTS_KEPT + ")")) {
                add.setString(1, e.group());
                add.setLong(2, e.at().toEpochMilli());
                add.setString(3, e.message());
                add.executeUpdate();
                trim.setString(1, e.group());
                trim.setString(2, e.group());
                return trim.executeUpdate();
            }
        });
    }

    @Override
    public List<GroupEvent> events(String group, int limit) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT at, message FROM group_events WHERE group_name = ? ORDER BY id DESC LIMIT ?")) {
                ps.setString(1, group);
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<GroupEvent> out = new ArrayList<>();
                    while (rs.next()) out.add(new GroupEvent(group, Instant.ofEpochMilli(rs.getLong(1)), rs.getString(2)));
                    return out;
                }
            }
        });
    }

    private static void bind(PreparedStatement ps, Group g) throws SQLException {
        ps.setString(1, g.name());
        ps.setString(2, g.template());
        ps.setString(3, g.settings() == null ? null : BlueprintJson.write(g.settings()));
        ps.setObject(4, g.size());
        ps.setString(5, JsonColumns.write(g.logicalIds()));
        ps.setString(6, JsonColumns.write(g.unhealthy().stream().map(VmStatus::wireName).sorted().toList()));
        ps.setInt(7, g.rolling() ? 1 : 0);
        ps.setLong(8, g.createdAt().toEpochMilli());
        ps.setLong(9, g.updatedAt().toEpochMilli());
    }

    private List<Group> query(String sql, String arg) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (arg != null) ps.setString(1, arg);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Group> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    private List<Group> query(String sql) {
        return query(sql, null);
    }

    private static Group read(ResultSet rs) throws SQLException {
        String settings = rs.getString("settings");
        return new Group(rs.getString("name"), rs.getString("template"), settings == null ? null : BlueprintJson.read(settings),
                rs.getObject("size") == null ? null : rs.getInt("size"),
                JsonColumns.read(rs.getString("logical_ids"), STRINGS),
                JsonColumns.read(rs.getString("unhealthy"), STRINGS).stream().map(VmStatus::fromWire).collect(Collectors.toSet()),
                rs.getInt("rolling") == 1, Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    }


}
