package dev.hangar.images;

import dev.hangar.core.images.GoldImages;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The response body as it arrives. Every byte read from the network passes through the digest and the
 * counter exactly once, whoever reads it (sniffer, decompressor, archive reader or the final drain), so
 * the checksum covers the whole download without a second read or a temporary copy.
 *
 * <p>Failures of the network surface as {@code image-download-failed} and an oversized body as
 * {@code image-too-large}, both unchecked, so they pass unchanged through the decompressors above; any
 * other IOException seen above this stream therefore comes from damaged data.
 *
 * <p>The JDK's HttpClient has no read timeout: a server that stops sending mid-body would block the
 * reader forever, and with it every creation waiting for that image. Each read therefore arms an alarm
 * that interrupts the reader after {@code stallTimeout} without a byte; the body stream answers the
 * interrupt with an IOException, reported as {@code image-download-failed}.
 */
final class DownloadStream extends InputStream {
    private final InputStream body;
    private final URI uri;
    private final MessageDigest digest;
    private final long maxBytes;
    private static final ScheduledThreadPoolExecutor ALARMS = alarms();

    private final Duration stallTimeout;
    private final Object alarmLock = new Object();
    private Thread reader; // guarded by alarmLock: the thread inside body.read, null between reads
    private boolean stalled; // guarded by alarmLock
    private long count;
    /** The response's Content-Length, -1 when it had none: what progress is measured against. */
    long declaredLength = -1;
    private GoldImages.FetchProgress progress = GoldImages.FetchProgress.NONE;

    DownloadStream(InputStream body, URI uri, MessageDigest digest, long maxBytes, Duration stallTimeout) {
        this.body = body;
        this.uri = uri;
        this.digest = digest;
        this.maxBytes = maxBytes;
        this.stallTimeout = stallTimeout;
    }

    private static ScheduledThreadPoolExecutor alarms() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("download-alarm").factory());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        int n;
        synchronized (alarmLock) {
            reader = Thread.currentThread();
            stalled = false;
        }
        ScheduledFuture<?> alarm = ALARMS.schedule(this::stall, stallTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            n = body.read(b, off, len);
        } catch (IOException e) {
            if (wasStalled()) {
                throw ImageFailures.downloadFailed("download of " + uri + " stalled: no data for "
                        + stallTimeout.toSeconds() + " s after " + count + " bytes");
            }
            throw ImageFailures.downloadFailed("download of " + uri + " failed after " + count + " bytes: "
                    + ImageFailures.describe(e));
        } finally {
            alarm.cancel(false);
        }
        // The alarm may have fired just as bytes arrived: the read succeeded, so forget it.
        if (wasStalled()) Thread.interrupted();
        if (n > 0) {
            count += n;
            if (count > maxBytes) {
                throw ImageFailures.tooLarge("download of " + uri + " exceeds the limit of " + maxBytes + " bytes");
            }
            digest.update(b, off, n);
            progress.downloaded(count, declaredLength);
        }
        return n;
    }

    private void stall() {
        synchronized (alarmLock) {
            if (reader != null) {
                stalled = true;
                reader.interrupt();
            }
        }
    }

    /** Ends the current read's watch; true when its alarm fired. */
    private boolean wasStalled() {
        synchronized (alarmLock) {
            reader = null;
            return stalled;
        }
    }

    /** Skipping must still feed the digest, so it reads. */
    @Override
    public long skip(long n) {
        byte[] buf = new byte[(int) Math.min(n, 65536)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
            if (r < 0) break;
            skipped += r;
        }
        return skipped;
    }

    /** Reads what is left (after an archive's end, trailing padding or junk) so the checksum covers it. */
    void drain() {
        byte[] buf = new byte[65536];
        while (read(buf, 0, buf.length) >= 0) {
            // every byte goes through the digest in read()
        }
    }

    long bytesRead() { return count; }

    /** Tells {@code progress} the bytes read so far after each read. */
    void onRead(GoldImages.FetchProgress progress) { this.progress = progress; }

    /** The lower-case hex digest of everything read so far. */
    String hexDigest() { return HexFormat.of().formatHex(digest.digest()); }

    /** Releases the connection. */
    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException ignored) {
            // closing an HTTP body only releases the connection; nothing to report
        }
    }
}
