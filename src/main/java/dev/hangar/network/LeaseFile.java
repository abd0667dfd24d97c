package dev.hangar.network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /** One lease; clientId is null when the guest sent none ("*"). */
    public record Lease(String mac, String ip, String clientId) {}

    /** The IPv4 address leased to this MAC, if any. */
    public Optional<String> ipFor(String mac) {
        return find(mac).map(Lease::ip);
    }

    public Optional<Lease> find(String mac) {
        String wanted = mac.toLowerCase(Locale.ROOT);
        return all().stream().filter(l -> l.mac().equals(wanted)).findFirst();
    }

    /** Every IPv4 lease, MACs in lower case. */
    public List<Lease> all() {
        List<Lease> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[2].indexOf('.') > 0) {
                    out.add(new Lease(f[1].toLowerCase(Locale.ROOT), f[2], f.length >= 5 && !f[4].equals("*") ? f[4] : null));
                }
            }
        } catch (IOException e) {
            return List.of(); // no file yet: no leases
        }
        return out;
    }

    public Path path() { return file; }
}
