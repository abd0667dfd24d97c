package dev.hangar.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.builds.FactoryImage;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.ImageTemplate.Encoding;
import dev.hangar.core.builds.ImageTemplate.InstallType;
import dev.hangar.core.builds.ImageTemplate.Os;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image Factory's images in a real database file: the template kept as it was parsed, every field of it. */
class FactoryImageRepositoryTest {
    static final ImageTemplate WEB = new ImageTemplate("web", "a web server",
            new Os("Debian", "bookworm", "x86_64", InstallType.URL, "http://deb.debian.org/debian", "secret"),
            List.of("busybox", "nginx=1.22"),
            List.of(new ImageTemplate.TemplateFile("/srv/www/index.html", Encoding.RAW, "built by hangar"),
                    new ImageTemplate.TemplateFile("/etc/motd", Encoding.BASE64, "aGVsbG8K")),
            List.of(new ImageTemplate.TemplateCommand("enable", "systemctl enable www.service")),
            List.of(new ImageTemplate.Repository("extra", "http://deb.debian.org/debian bookworm-updates main", true)), 3L);

    @TempDir
    Path dir;

    static FactoryImage image(UUID id, ImageTemplate template) {
        return new FactoryImage(id, FactoryImage.Kind.BASE, FactoryImage.Status.NEW, 0, "queued", null, template, Map.of("a", "b"),
                List.of("http://cb.test/"), null, null, null, null, null, null, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(2000));
    }

    @Test
    void anImageComesBackWithItsTemplateWholeAfterTheDatabaseIsReopened() throws Exception {
        UUID id = UUID.randomUUID();
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            new FactoryImageRepository(db, text -> {
                throw new AssertionError("no legacy row here");
            }).save(image(id, WEB));
        }
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            FactoryImage read = new FactoryImageRepository(db, text -> null).find(id).orElseThrow();

            assertEquals(image(id, WEB), read);
        }
    }

    @Test
    void aRowWrittenBeforeVersion7HoldsTdlTextAndIsReadByTheReaderGivenThenWrittenBackAsJson() throws Exception {
        UUID id = UUID.randomUUID();
        String tdl = "<template><name>web</name></template>";
        try (Database db = Database.open(dir.resolve("hangar.db"))) {
            FactoryImageRepository images = new FactoryImageRepository(db, text -> text.equals(tdl) ? WEB : null);
            images.save(image(id, WEB));
            db.with(c -> {
                try (var ps = c.prepareStatement("UPDATE factory_images SET template = ? WHERE id = ?")) {
                    ps.setString(1, tdl);
                    ps.setString(2, id.toString());
                    return ps.executeUpdate();
                }
            });

            FactoryImage legacy = images.find(id).orElseThrow();
            images.save(legacy);

            assertEquals(WEB, legacy.template());
            String column = db.with(c -> {
                try (var ps = c.prepareStatement("SELECT template FROM factory_images WHERE id = ?")) {
                    ps.setString(1, id.toString());
                    try (var rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getString(1);
                    }
                }
            });
            assertTrue(column.startsWith("{\"name\":\"web\""), column);
        }
    }
}
