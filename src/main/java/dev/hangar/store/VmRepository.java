package dev.hangar.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.HangarException;
import dev.hangar.core.Problem;
import dev.hangar.core.images.BlankDisk;
import dev.hangar.core.images.ChecksumType;
import dev.hangar.core.images.ImageRef;
import dev.hangar.core.networks.Nic;
import dev.hangar.core.vms.BootSource;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmStatus;
import dev.hangar.core.vms.VmStore;
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

/**
 * VM records in the database. The lists and the boot source are JSON columns: a VM is read and written
 * whole, and nothing queries inside them but the MAC check.
 */
public final class VmRepository implements VmStore {
    private static final String[] FIELDS = {"id", "name", "tags", "origin", "boot", "cpus", "memory_mib", "requested_cpus",
            "requested_memory_mib", "disks", "nics", "gui", "tools_init_timeout", "callback_url", "dialect", "status",
            "ip_address", "guest_os", "vnc", "error_code", "error_message", "user_data", "network_config", "created_at", "start_kind"};
    private static final String COLUMNS = String.join(", ", FIELDS);
    private static final String PLACEHOLDERS = "?" + ", ?".repeat(FIELDS.length - 1);

    private final Database db;

    public VmRepository(Database db) {
        this.db = db;
    }

    @Override
    public void insert(Vm vm) {
        try {
            db.with(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO vms (" + COLUMNS + ") VALUES (" + PLACEHOLDERS + ")")) {
                    bind(ps, vm);
                    return ps.executeUpdate();
                }
            });
        } catch (Database.StoreException e) {
            // The UNIQUE index decides, so two creates racing for one name cannot both win.
            if (vm.name() != null && String.valueOf(e.getMessage()).contains("vms.name")) {
                throw new HangarException(HangarException.Kind.CONFLICT, "vm-name-taken", "a VM named " + vm.name() + " exists");
            }
            throw e;
        }
    }

    @Override
    public boolean update(Vm vm) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE vms SET (" + COLUMNS + ") = (" + PLACEHOLDERS + ") WHERE id = ?")) {
                bind(ps, vm);
                ps.setString(FIELDS.length + 1, vm.id().toString());
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<Vm> find(UUID id) {
        return one("id", id.toString());
    }

    @Override
    public Optional<Vm> findByName(String name) {
        return one("name", name);
    }

    private Optional<Vm> one(String column, String value) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vms WHERE " + column + " = ?")) {
                ps.setString(1, value);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<Vm> all() {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vms ORDER BY created_at DESC, rowid DESC");
                 ResultSet rs = ps.executeQuery()) {
                List<Vm> out = new ArrayList<>();
                while (rs.next()) out.add(read(rs));
                return out;
            }
        });
    }

    @Override
    public boolean macInUse(String mac) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT 1 FROM vms, json_each(vms.nics) WHERE json_extract(json_each.value, '$.mac') = ?")) {
                ps.setString(1, mac);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    @Override
    public List<UUID> awaitingAddress() {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM vms WHERE awaiting_address = 1");
                 ResultSet rs = ps.executeQuery()) {
                List<UUID> out = new ArrayList<>();
                while (rs.next()) out.add(UUID.fromString(rs.getString(1)));
                return out;
            }
        });
    }

    @Override
    public void reported(UUID id) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE vms SET awaiting_address = 0 WHERE id = ?")) {
                ps.setString(1, id.toString());
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public void delete(UUID id) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM vms WHERE id = ?")) {
                ps.setString(1, id.toString());
                return ps.executeUpdate();
            }
        });
    }

    private static void bind(PreparedStatement ps, Vm vm) throws SQLException {
        int i = 0;
        ps.setString(++i, vm.id().toString());
        ps.setString(++i, vm.name());
        ps.setString(++i, JsonColumns.write(vm.tags()));
        ps.setString(++i, vm.origin().name().toLowerCase(Locale.ROOT));
        ps.setString(++i, JsonColumns.write(bootJson(vm.boot())));
        ps.setInt(++i, vm.cpus());
        ps.setLong(++i, vm.memoryMib());
        ps.setObject(++i, vm.requestedCpus());
        ps.setObject(++i, vm.requestedMemoryMib());
        ps.setString(++i, JsonColumns.write(vm.disks().stream().map(BlankDisk::sizeGib).toList()));
        ps.setString(++i, JsonColumns.write(vm.nics()));
        ps.setInt(++i, vm.gui() ? 1 : 0);
        ps.setInt(++i, vm.toolsInitTimeoutSeconds());
        ps.setString(++i, vm.callbackUrl());
        ps.setString(++i, vm.dialect().name());
        ps.setString(++i, vm.status().wireName());
        ps.setString(++i, vm.ipAddress());
        ps.setString(++i, vm.guestOs());
        ps.setString(++i, vm.vnc());
        ps.setString(++i, vm.error() == null ? null : vm.error().code());
        ps.setString(++i, vm.error() == null ? null : vm.error().message());
        ps.setString(++i, vm.userData());
        ps.setString(++i, vm.networkConfig());
        ps.setLong(++i, vm.createdAt().toEpochMilli());
        ps.setString(++i, vm.start());
    }

    private static Vm read(ResultSet rs) throws SQLException {
        String errorCode = rs.getString("error_code");
        return Vm.builder()
                .id(UUID.fromString(rs.getString("id")))
                .name(rs.getString("name"))
                .tags(JsonColumns.read(rs.getString("tags"), new TypeReference<Map<String, String>>() {}))
                .origin(Vm.Origin.valueOf(rs.getString("origin").toUpperCase(Locale.ROOT)))
                .boot(boot(JsonColumns.read(rs.getString("boot"), new TypeReference<JsonNode>() {})))
                .cpus(rs.getInt("cpus"))
                .memoryMib(rs.getLong("memory_mib"))
                .requestedCpus(rs.getObject("requested_cpus") == null ? null : rs.getInt("requested_cpus"))
                .requestedMemoryMib(rs.getObject("requested_memory_mib") == null ? null : rs.getLong("requested_memory_mib"))
                .disks(JsonColumns.read(rs.getString("disks"), new TypeReference<List<Long>>() {}).stream().map(BlankDisk::new).toList())
                .nics(JsonColumns.read(rs.getString("nics"), new TypeReference<List<Nic>>() {}))
                .gui(rs.getInt("gui") == 1)
                .toolsInitTimeoutSeconds(rs.getInt("tools_init_timeout"))
                .callbackUrl(rs.getString("callback_url"))
                .dialect(Vm.Dialect.valueOf(rs.getString("dialect")))
                .status(VmStatus.fromWire(rs.getString("status")))
                .ipAddress(rs.getString("ip_address"))
                .guestOs(rs.getString("guest_os"))
                .vnc(rs.getString("vnc"))
                .error(errorCode == null ? null : new Problem(errorCode, rs.getString("error_message")))
                .userData(rs.getString("user_data"))
                .networkConfig(rs.getString("network_config"))
                .createdAt(Instant.ofEpochMilli(rs.getLong("created_at")))
                .start(rs.getString("start_kind"))
                .build();
    }

    static ObjectNode bootJson(BootSource boot) {
        ObjectNode o = JsonColumns.JSON.createObjectNode();
        switch (boot) {
            case BootSource.Image i -> o.put("kind", "image").put("url", i.image().url()).put("checksum", i.image().checksum())
                    .put("checksum_type", i.image().checksumType().wireName());
            case BootSource.NetworkInstall n -> o.put("kind", "install").put("location", n.location()).put("cmdline", n.cmdline());
            case BootSource.Disk d -> o.put("kind", "disk");
            case BootSource.Library l -> o.put("kind", "library").put("name", l.name());
        }
        return o;
    }

    static BootSource boot(JsonNode o) {
        return switch (o.path("kind").asText()) {
            case "image" -> new BootSource.Image(new ImageRef(o.path("url").asText(), o.path("checksum").asText(),
                    ChecksumType.parse(o.path("checksum_type").asText())));
            case "install" -> new BootSource.NetworkInstall(o.path("location").asText(),
                    o.path("cmdline").isNull() ? null : o.path("cmdline").asText());
            case "library" -> new BootSource.Library(o.path("name").asText());
            default -> new BootSource.Disk();
        };
    }


}
