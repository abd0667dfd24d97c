package dev.hangar.images;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A zip's central directory, read from the tail of a zip that was streamed. A streaming reader sees only
 * the local headers, which do not hold the Unix mode: whether an entry is a symlink or a device is written
 * only in the central directory at the end. So zip entries are first written as plain files (harmless
 * whatever they hold), and this says afterwards which of them were links or devices.
 */
final class ZipCentralDirectory {
    /** One entry's name and Unix mode (0 when the zip was not made on Unix). */
    record Entry(String name, int unixMode) {}

    private static final int EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_EOCD = 0x06064b50, CFH = 0x02014b50;
    private static final int EOCD_LEN = 22, CFH_LEN = 46, PLATFORM_UNIX = 3;

    private ZipCentralDirectory() {}

    /** Passes bytes through and keeps the last few MiB of them: enough for the central directory of any VM bundle. */
    static final class Tail extends FilterInputStream {
        private final byte[] ring;
        private long total;

        Tail(InputStream in, int keep) {
            super(in);
            ring = new byte[keep];
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) keep(b, off, n);
            return n;
        }

        private void keep(byte[] b, int off, int n) {
            int skip = Math.max(0, n - ring.length); // of a read longer than the ring, only its end is kept
            total += skip;
            for (int from = off + skip, left = n - skip; left > 0; ) {
                int at = (int) (total % ring.length);
                int chunk = Math.min(left, ring.length - at);
                System.arraycopy(b, from, ring, at, chunk);
                from += chunk;
                left -= chunk;
                total += chunk;
            }
        }

        /** Skipped bytes are read so that they are kept. */
        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) break;
                done += r;
            }
            return done;
        }

        @Override
        public boolean markSupported() { return false; }

        /** The kept bytes in order, and the stream offset of the first of them. */
        byte[] bytes() {
            int len = (int) Math.min(total, ring.length);
            byte[] out = new byte[len];
            long start = total - len;
            for (int i = 0; i < len; i++) out[i] = ring[(int) ((start + i) % ring.length)];
            return out;
        }

        long offsetOfBytes() { return total - Math.min(total, ring.length); }
    }

    /** The entries listed at the end of a zip, or an empty list when the directory is not (wholly) in the tail. */
    static List<Entry> read(Tail tail) {
        byte[] b = tail.bytes();
        int eocd = -1;
        for (int p = b.length - EOCD_LEN; p >= 0 && p >= b.length - EOCD_LEN - 0xffff; p--) {
            if (u32(b, p) == EOCD && p + EOCD_LEN + u16(b, p + 20) == b.length) {
                eocd = p;
                break;
            }
        }
        if (eocd < 0) return List.of();
        long size = u32(b, eocd + 12);
        long cdStart = eocd - size;
        if (size == 0xffffffffL || u16(b, eocd + 10) == 0xffff) {
            // Zip64: the real size is in the zip64 end record that the locator before the EOCD points to.
            int locator = eocd - 20;
            if (locator < 0 || u32(b, locator) != ZIP64_LOCATOR) return List.of();
            long record = u64(b, locator + 8) - tail.offsetOfBytes();
            if (record < 0 || record + 56 > b.length || u32(b, (int) record) != ZIP64_EOCD) return List.of();
            size = u64(b, (int) record + 40);
            cdStart = record - size;
        }
        if (cdStart < 0 || size < 0) return List.of();
        List<Entry> entries = new ArrayList<>();
        int p = (int) cdStart;
        long end = cdStart + size;
        while (p + CFH_LEN <= end && u32(b, p) == CFH) {
            int platform = u16(b, p + 4) >> 8;
            int nameLen = u16(b, p + 28), extraLen = u16(b, p + 30), commentLen = u16(b, p + 32);
            long attributes = u32(b, p + 38);
            if (p + CFH_LEN + nameLen > b.length) break;
            String name = new String(b, p + CFH_LEN, nameLen, StandardCharsets.UTF_8);
            entries.add(new Entry(name, platform == PLATFORM_UNIX ? (int) (attributes >>> 16) : 0));
            p += CFH_LEN + nameLen + extraLen + commentLen;
        }
        return entries;
    }

    private static int u16(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }

    private static long u32(byte[] b, int p) {
        return (u16(b, p) | (long) u16(b, p + 2) << 16) & 0xffffffffL;
    }

    private static long u64(byte[] b, int p) {
        return u32(b, p) | u32(b, p + 4) << 32;
    }
}
