package dev.hangar.network;

import dev.hangar.core.networks.LeaseChanges;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * dnsmasq's lease files, watched through the kernel (the JDK's WatchService is inotify on Linux):
 * dnsmasq rewrites a lease file in place at every lease it grants, so a wait ends within milliseconds
 * of the guest's address being known, instead of at the next poll.
 */
final class LeaseWatch implements LeaseChanges {
    private static final Logger log = LoggerFactory.getLogger(LeaseWatch.class);

    private final WatchService watcher;
    private final Set<Path> files;

    private LeaseWatch(WatchService watcher, Set<Path> files) {
        this.watcher = watcher;
        this.files = files;
    }

    /** A watch on these lease files; where none can be watched, a wait that lasts its whole time. */
    static LeaseChanges of(Collection<Path> leaseFiles) {
        Set<Path> files = leaseFiles.stream().map(Path::toAbsolutePath).collect(Collectors.toUnmodifiableSet());
        Set<Path> dirs = files.stream().map(Path::getParent).filter(Files::isDirectory).collect(Collectors.toSet());
        if (dirs.isEmpty()) return LeaseChanges.none();
        try {
            WatchService watcher = FileSystems.getDefault().newWatchService();
            try {
                for (Path dir : dirs) dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            } catch (IOException e) {
                watcher.close();
                throw e;
            }
            return new LeaseWatch(watcher, files);
        } catch (IOException e) {
            log.debug("cannot watch the lease files {}: {}; waits last their whole time", files, e.getMessage());
            return LeaseChanges.none();
        }
    }

    @Override
    public void await(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return;
                WatchKey key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key == null) return;
                boolean ours = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    // An overflow lost events: one of them may have been ours.
                    ours |= event.kind() == StandardWatchEventKinds.OVERFLOW
                            || event.context() instanceof Path name && files.contains(((Path) key.watchable()).resolve(name));
                }
                key.reset();
                if (ours) return;
            }
        } catch (ClosedWatchServiceException e) {
            Thread.sleep(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("closing a lease watch: {}", e.getMessage());
        }
    }
}
