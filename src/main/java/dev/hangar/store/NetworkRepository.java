package dev.hangar.store;

import dev.hangar.core.HangarException;
import dev.hangar.core.networks.Network;
import dev.hangar.core.networks.NetworkStore;
import dev.hangar.core.networks.Subnet;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Defined networks in the database. */
public final class NetworkRepository implements NetworkStore {
    private final Database db;

    public NetworkRepository(Database db) {
        this.db = db;
    }

    @Override
    public void insert(Network n) {
        db.insertUnique("INSERT INTO networks (name, kind, bridge, vlan, subnet, created_at) VALUES (?, ?, ?, ?, ?, ?)", ps -> {
            ps.setString(1, n.name());
            ps.setString(2, n.kind().name().toLowerCase(Locale.ROOT));
            ps.setString(3, n.bridge());
            ps.setObject(4, n.vlan());
            ps.setString(5, n.subnet() == null ? null : n.subnet().cidr());
            ps.setLong(6, n.createdAt().toEpochMilli());
        }, () -> new HangarException(HangarException.Kind.CONFLICT, "network-exists", "a network named " + n.name() + " exists"));
    }

    @Override
    public Optional<Network> find(String name) {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM networks WHERE name = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<Network> all() {
        return db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM networks ORDER BY created_at, name");
                 ResultSet rs = ps.executeQuery()) {
                List<Network> out = new ArrayList<>();
                while (rs.next()) out.add(read(rs));
                return out;
            }
        });
    }

    @Override
    public void delete(String name) {
        db.with(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM networks WHERE name = ?")) {
                ps.setString(1, name);
                return ps.executeUpdate();
            }
        });
    }

    private static Network read(ResultSet rs) throws SQLException {
        String subnet = rs.getString("subnet");
        return new Network(rs.getString("name"), Network.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                rs.getString("bridge"), rs.getObject("vlan") == null ? null : rs.getInt("vlan"),
                subnet == null ? null : Subnet.parse(subnet), false, Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
