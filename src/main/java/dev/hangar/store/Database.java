package dev.hangar.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded SQLite database in the data directory. One connection, serialised: Hangar's write rate
 * is tiny and SQLite allows one writer anyway. In WAL mode with synchronous=NORMAL a commit is in the
 * WAL file when it returns, so a SIGKILL of the service loses no committed row; only a power cut may
 * lose the last commits, and it never corrupts the file. That keeps an fsync off every POST.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);
    /** Migrations in order; each runs once, in its own transaction, recorded in schema_version. */
    static final List<String> MIGRATIONS = List.of(
            "V1__vms_and_callbacks.sql", "V2__awaiting_address.sql", "V3__hosts_model.sql", "V4__groups.sql", "V5__image_factory.sql", "V6__callback_method.sql",
            "V7__vm_start.sql");

    private final Connection connection;

    private Database(Connection connection) {
        this.connection = connection;
    }

    public static Database open(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        ownerOnly(file);
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA foreign_keys=ON");
            }
            Database db = new Database(c);
            db.migrate();
            return db;
        } catch (SQLException e) {
            throw new IOException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The database holds user-data, callback tokens and templates' secrets: it, and the WAL and shared
     * memory files SQLite makes beside it (with the database's own mode), are the service's alone (0600),
     * made so before SQLite first opens them, and made so again at each start for a file an earlier
     * version left readable.
     */
    private static void ownerOnly(Path file) throws IOException {
        var mode = java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
        if (!Files.exists(file)) {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(mode));
        }
        for (Path f : java.util.List.of(file, file.resolveSibling(file.getFileName() + "-wal"), file.resolveSibling(file.getFileName() + "-shm"))) {
            if (Files.exists(f) && !Files.getPosixFilePermissions(f).equals(mode)) {
                Files.setPosixFilePermissions(f, mode);
                org.slf4j.LoggerFactory.getLogger(Database.class).info("{} was readable by others; it is the service's alone now (0600)", f);
            }
        }
    }

    private void migrate() throws SQLException, IOException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        }
        int current = 0;
        try (Statement s = connection.createStatement();
             var rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            if (rs.next()) current = rs.getInt(1);
        }
        for (int v = current + 1; v <= MIGRATIONS.size(); v++) {
            String name = MIGRATIONS.get(v - 1);
            String sql;
            try (InputStream in = Database.class.getResourceAsStream("/db/" + name)) {
                if (in == null) throw new IOException("missing migration " + name);
                sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            final int version = v;
            inTransaction(c -> {
                try (Statement s = c.createStatement()) {
                    for (String stmt : sql.replaceAll("(?m)--.*$", "").split(";")) {
                        if (!stmt.isBlank()) s.execute(stmt);
                    }
                }
                try (var ps = c.prepareStatement("INSERT INTO schema_version VALUES (?, ?, datetime('now'))")) {
                    ps.setInt(1, version);
                    ps.setString(2, name);
                    ps.executeUpdate();
                }
                return null;
            });
            log.info("database migrated to version {} ({})", v, name);
        }
    }

    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs work on the connection, one caller at a time. */
    public synchronized <T> T with(SqlWork<T> work) {
        try {
            return work.run(connection);
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    public interface Binder {
        void bind(java.sql.PreparedStatement ps) throws SQLException;
    }

    /**
     * Runs one INSERT; when it breaks a UNIQUE constraint (a name is taken) throws what taken gives, so
     * the constraint decides and two inserts racing for one name cannot both win.
     */
    public void insertUnique(String sql, Binder binder, java.util.function.Supplier<RuntimeException> taken) {
        try {
            with(c -> {
                try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
                    binder.bind(ps);
                    return ps.executeUpdate();
                }
            });
        } catch (StoreException e) {
            if (String.valueOf(e.getMessage()).contains("UNIQUE")) throw taken.get();
            throw e;
        }
    }

    /** Runs work in a transaction: all of it is committed, or none. */
    public synchronized <T> T inTransaction(SqlWork<T> work) {
        try {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    public int schemaVersion() {
        return with(c -> {
            try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        });
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("closing database: {}", e.getMessage());
        }
    }

    /** A database failure: the service answers internal-error and logs the cause. */
    public static final class StoreException extends RuntimeException {
        StoreException(SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
