package dev.hangar.core.images;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where an image's warm settings and memory templates are kept: beside its gold, so they go with it.
 * A template is whole or absent: it is built in a directory of its own and moved into place, its
 * description last; one that failed leaves the reason instead. Files never change once in place (its
 * clones' disks and memory are backed by them).
 */
public interface WarmTemplates {
    /** Whether creates from an image start warm, and how many ready clones to keep (0: no pool). */
    record Settings(boolean enabled, int pool) {
        public static final Settings OFF = new Settings(false, 0);
        public static final int MAX_POOL = 16;
    }

    /**
     * A finished template: its disks (overlays on the gold's), its RAM file, its device state, the MACs
     * its NICs had, and the concrete machine type it ran as (which its clones must pin too).
     */
    record Template(String key, Path dir, List<Path> disks, Path ram, Path state, List<String> macs, String machineType,
                    String shape, Instant created) {
        public Template {
            disks = List.copyOf(disks);
            macs = List.copyOf(macs);
        }
    }

    /** What GET /images/KEY shows of a template: ready, or failed with the reason. */
    record Summary(String key, String shape, String state, String reason, Instant at) {}

    /** The image's settings, {@link Settings#OFF} when never set. */
    Settings settings(String goldKey);

    void saveSettings(String goldKey, Settings settings);

    Optional<Template> find(String goldKey, String templateKey);

    List<Summary> list(String goldKey);

    /** An empty directory to build a template in; an earlier attempt's is gone. */
    Path startBuild(String goldKey, String templateKey) throws IOException;

    /** Puts the built template in place, whole; the failure record of its key, if any, goes. */
    Template finish(String goldKey, Path buildDir, Template built) throws IOException;

    /** Records why a template could not be built; its build directory goes. */
    void failed(String goldKey, String templateKey, String shape, String reason);

    /** Build directories a crash left (their machines may still run: stop them first); by gold key. */
    List<Path> leftoverBuilds();

    /** Removes a leftover build directory. */
    void removeBuild(Path buildDir);

    /** Nowhere to keep templates: every image stays cold (services and tests without warm starts). */
    static WarmTemplates none() {
        return new WarmTemplates() {
            @Override public Settings settings(String goldKey) { return Settings.OFF; }
            @Override public void saveSettings(String goldKey, Settings settings) { throw new UnsupportedOperationException("no template store"); }
            @Override public Optional<Template> find(String goldKey, String templateKey) { return Optional.empty(); }
            @Override public List<Summary> list(String goldKey) { return List.of(); }
            @Override public Path startBuild(String goldKey, String templateKey) throws IOException { throw new IOException("no template store"); }
            @Override public Template finish(String goldKey, Path buildDir, Template built) throws IOException { throw new IOException("no template store"); }
            @Override public void failed(String goldKey, String templateKey, String shape, String reason) { }
            @Override public List<Path> leftoverBuilds() { return List.of(); }
            @Override public void removeBuild(Path buildDir) { }
        };
    }
}
