package dev.hangar.network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * dnsmasq's lease file: one lease a line, "expiry mac ip hostname client-id". dnsmasq rewrites it
 * whole on every change, so a read sees either the old or the new file.
 */
public final class LeaseFile {
    private final Path file;

    public LeaseFile(Path file) {
        this.file = file;
    }

    /** The IPv4 address leased to this MAC, if any. */
    public Optional<String> ipFor(String mac) {
        String wanted = mac.toLowerCase(Locale.ROOT);
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[1].toLowerCase(Locale.ROOT).equals(wanted) && f[2].indexOf('.') > 0) {
                    return Optional.of(f[2]);
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    public Path path() { return file; }
}
