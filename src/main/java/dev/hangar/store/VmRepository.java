package dev.hangar.store;

import dev.hangar.core.ChecksumType;
import dev.hangar.core.ImageRef;
import dev.hangar.core.NetworkType;
import dev.hangar.core.Problem;
import dev.hangar.core.Vm;
import dev.hangar.core.VmStatus;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** VM records in the database. Every write is committed before it returns. */
public final class VmRepository {
    private static final String COLUMNS = "id, name, image_url, image_checksum, image_checksum_type, cpus, memory_mib, "
            + "network_type, gui, tools_init_timeout, callback_url, dialect, mac, status, ip_address, guest_os, vnc, "
            + "error_code, error_message, created_at, requested_cpus, requested_memory_mib";

    private final Database db;

    public VmRepository(Database db) {
        this.db = db;
    }

    public void insert(Vm vm) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO vms (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                bind(ps, vm);
                return ps.executeUpdate();
            }
        });
    }

    /** Replaces the stored record; false when it is gone (deleted meanwhile). */
    public boolean update(Vm vm) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE vms SET (" + COLUMNS + ") = (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) WHERE id = ?")) {
                bind(ps, vm);
                ps.setString(23, vm.id().toString());
                return ps.executeUpdate() == 1;
            }
        });
    }

    public Optional<Vm> find(UUID id) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vms WHERE id = ?")) {
                ps.setString(1, id.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** All VMs, newest first. */
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

    public boolean macInUse(String mac) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM vms WHERE mac = ?")) {
                ps.setString(1, mac);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Ids of VMs whose creation has not reported yet: it waits for the address, then calls back. */
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

    /** Marks the VM's creation as reported (new VMs start out awaiting their address). */
    public void reported(UUID id) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE vms SET awaiting_address = 0 WHERE id = ?")) {
                ps.setString(1, id.toString());
                return ps.executeUpdate();
            }
        });
    }

    public void delete(UUID id) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM vms WHERE id = ?")) {
                ps.setString(1, id.toString());
                return ps.executeUpdate();
            }
        });
    }

    private static void bind(PreparedStatement ps, Vm vm) throws SQLException {
        ps.setString(1, vm.id().toString());
        ps.setString(2, vm.name());
        ps.setString(3, vm.image().url());
        ps.setString(4, vm.image().checksum());
        ps.setString(5, vm.image().checksumType().wireName());
        ps.setInt(6, vm.cpus());
        ps.setLong(7, vm.memoryMib());
        ps.setString(8, vm.networkType().wireName());
        ps.setInt(9, vm.gui() ? 1 : 0);
        ps.setInt(10, vm.toolsInitTimeoutSeconds());
        ps.setString(11, vm.callbackUrl());
        ps.setString(12, vm.dialect().name());
        ps.setString(13, vm.mac());
        ps.setString(14, vm.status().wireName());
        ps.setString(15, vm.ipAddress());
        ps.setString(16, vm.guestOs());
        ps.setString(17, vm.vnc());
        ps.setString(18, vm.error() == null ? null : vm.error().code());
        ps.setString(19, vm.error() == null ? null : vm.error().message());
        ps.setLong(20, vm.createdAt().toEpochMilli());
        ps.setObject(21, vm.requestedCpus());
        ps.setObject(22, vm.requestedMemoryMib());
    }

    private static Vm read(ResultSet rs) throws SQLException {
        String errorCode = rs.getString("error_code");
        return new Vm(
                UUID.fromString(rs.getString("id")),
                rs.getString("name"),
                new ImageRef(rs.getString("image_url"), rs.getString("image_checksum"),
                        ChecksumType.parse(rs.getString("image_checksum_type"))),
                rs.getInt("cpus"),
                rs.getLong("memory_mib"),
                NetworkType.parse(rs.getString("network_type")),
                rs.getInt("gui") == 1,
                rs.getInt("tools_init_timeout"),
                rs.getString("callback_url"),
                Vm.Dialect.valueOf(rs.getString("dialect")),
                rs.getString("mac"),
                VmStatus.fromWire(rs.getString("status")),
                rs.getString("ip_address"),
                rs.getString("guest_os"),
                rs.getString("vnc"),
                errorCode == null ? null : new Problem(errorCode, rs.getString("error_message")),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                nullableInt(rs, "requested_cpus"),
                nullableLong(rs, "requested_memory_mib"));
    }

    private static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
