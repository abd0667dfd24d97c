package dev.hangar.store;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hangar.core.Problem;
import dev.hangar.core.builds.FactoryImage;
import dev.hangar.core.builds.FactoryImageStore;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.ProviderPublisher;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/** The image factory's images in the database; the template, maps and lists as JSON columns. */
public final class FactoryImageRepository implements FactoryImageStore {
    private static final String COLUMNS = "id, kind, status, percent, activity, error_code, error_message, template, parameters, callbacks,"
            + " base_image, target_image, target, provider, published, file, created_at, updated_at";

    private final Database db;
    private final Function<String, ImageTemplate> legacyTdl;

    /** @param legacyTdl reads the TDL text that rows written before version 7 hold (see ImageTemplateJson) */
    public FactoryImageRepository(Database db, Function<String, ImageTemplate> legacyTdl) {
        this.db = db;
        this.legacyTdl = legacyTdl;
    }

    @Override
    public void save(FactoryImage i) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO factory_images (" + COLUMNS + ")"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                int n = 0;
                ps.setString(++n, i.id().toString());
                ps.setString(++n, i.kind().name().toLowerCase(Locale.ROOT));
                ps.setString(++n, i.status().name());
                ps.setInt(++n, i.percent());
                ps.setString(++n, i.activity());
                ps.setString(++n, i.error() == null ? null : i.error().code());
                ps.setString(++n, i.error() == null ? null : i.error().message());
                ps.setString(++n, ImageTemplateJson.write(i.template()));
                ps.setString(++n, JsonColumns.write(i.parameters()));
                ps.setString(++n, JsonColumns.write(i.callbacks()));
                ps.setString(++n, i.baseImage() == null ? null : i.baseImage().toString());
                ps.setString(++n, i.targetImage() == null ? null : i.targetImage().toString());
                ps.setString(++n, i.target());
                ps.setString(++n, i.provider() == null ? null : JsonColumns.write(Map.of("type", i.provider().type(), "settings", i.provider().settings())));
                ps.setString(++n, i.published() == null ? null
                        : JsonColumns.write(Map.of("identifier", i.published().identifier(), "properties", i.published().properties())));
                ps.setString(++n, i.file());
                ps.setLong(++n, i.createdAt().toEpochMilli());
                ps.setLong(++n, i.updatedAt().toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public Optional<FactoryImage> find(UUID id) {
        List<FactoryImage> found = query("SELECT " + COLUMNS + " FROM factory_images WHERE id = ?", id.toString());
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    @Override
    public List<FactoryImage> all() {
        return query("SELECT " + COLUMNS + " FROM factory_images ORDER BY created_at, rowid", null);
    }

    @Override
    public void delete(UUID id) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM factory_images WHERE id = ?")) {
                ps.setString(1, id.toString());
                return ps.executeUpdate();
            }
        });
    }

    private List<FactoryImage> query(String sql, String arg) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (arg != null) ps.setString(1, arg);
                try (ResultSet rs = ps.executeQuery()) {
                    List<FactoryImage> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    private FactoryImage read(ResultSet rs) throws SQLException {
        String errorCode = rs.getString("error_code");
        Map<String, Object> provider = JsonColumns.read(rs.getString("provider"), new TypeReference<>() {});
        Map<String, Object> published = JsonColumns.read(rs.getString("published"), new TypeReference<>() {});
        return new FactoryImage(
                UUID.fromString(rs.getString("id")),
                FactoryImage.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                FactoryImage.Status.valueOf(rs.getString("status")),
                rs.getInt("percent"),
                rs.getString("activity"),
                errorCode == null ? null : new Problem(errorCode, rs.getString("error_message")),
                ImageTemplateJson.read(rs.getString("template"), legacyTdl),
                JsonColumns.read(rs.getString("parameters"), new TypeReference<Map<String, String>>() {}),
                JsonColumns.read(rs.getString("callbacks"), new TypeReference<List<String>>() {}),
                uuid(rs.getString("base_image")),
                uuid(rs.getString("target_image")),
                rs.getString("target"),
                provider == null ? null : new ProviderPublisher.Provider((String) provider.get("type"), strings(provider.get("settings")), Map.of()),
                published == null ? null : new ProviderPublisher.Published((String) published.get("identifier"), strings(published.get("properties"))),
                rs.getString("file"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> strings(Object o) {
        return o == null ? Map.of() : (Map<String, String>) o;
    }

    private static UUID uuid(String s) {
        return s == null ? null : UUID.fromString(s);
    }


}
