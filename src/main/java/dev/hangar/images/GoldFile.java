package dev.hangar.images;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hangar.core.images.MachineProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code gold.json}, written last into a gold directory: its presence is what makes the directory a gold
 * image. File names are relative to the directory.
 */
record GoldFile(int version, String key, String url, List<String> disks, String kernel, String initrd,
                MachineProfile profile, String describedBy, String created) {
    static final String NAME = "gold.json";
    static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    void write(Path dir) throws IOException {
        JSON.writeValue(dir.resolve(NAME).toFile(), this);
    }

    /** Reads and checks it; names must be plain file names in the directory. */
    static GoldFile read(Path dir) throws IOException {
        GoldFile f = JSON.readValue(dir.resolve(NAME).toFile(), GoldFile.class);
        if (f.version() != VERSION) throw new IOException("gold.json version " + f.version() + " is not " + VERSION);
        if (f.disks() == null || f.profile() == null) throw new IOException("gold.json lacks disks or profile");
        for (String name : f.disks()) requirePlainName(name);
        if (f.kernel() != null) requirePlainName(f.kernel());
        if (f.initrd() != null) requirePlainName(f.initrd());
        return f;
    }

    static void requirePlainName(String name) throws IOException {
        if (name == null || name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IOException("gold.json names an unexpected file: " + name);
        }
    }
}
