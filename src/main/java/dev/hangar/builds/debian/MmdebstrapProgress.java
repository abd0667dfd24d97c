package dev.hangar.builds.debian;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How far mmdebstrap got, read from its verbose output: its phases ("I: downloading packages with
 * apt...") and, inside each, apt's and dpkg's lines for each package (Get:N, Unpacking, Setting up)
 * against the count apt announced ("67 newly installed"). Percent is of mmdebstrap's own work, never
 * goes back, and is weighted by where the time goes (installing, above all the kernel's packages).
 */
final class MmdebstrapProgress {
    private static final Pattern NEWLY_INSTALLED = Pattern.compile("(\\d+) newly installed");
    private static final Pattern GET = Pattern.compile("^Get:(\\d+) ");

    private enum Phase { START, UPDATE, DOWNLOAD_ESSENTIAL, EXTRACT, INSTALL_ESSENTIAL, INSTALL_REST, CLEANUP, DONE }

    private Phase phase = Phase.START;
    private int announced;   // packages apt said this phase installs
    private int essential;   // the essential set's count, announced while downloading it, installed later
    private int fetched, unpacked, setUp;
    private int percent;
    private String activity = "starting mmdebstrap";

    /** Where it is: read on the build's thread while a reader thread feeds lines. */
    record Position(int percent, String activity) {}

    synchronized Position position() {
        return new Position(percent, activity);
    }

    synchronized int percent() {
        return percent;
    }

    synchronized String activity() {
        return activity;
    }

    /** Reads one line of output; true when the percent moved. */
    synchronized boolean read(String line) {
        int before = percent;
        String text = line.strip();
        if (text.startsWith("I: running apt-get update")) {
            enter(Phase.UPDATE, 2, "fetching the package lists");
        } else if (text.startsWith("I: downloading packages")) {
            enter(Phase.DOWNLOAD_ESSENTIAL, 8, "downloading the essential packages");
        } else if (text.startsWith("I: extracting archives")) {
            enter(Phase.EXTRACT, 20, "extracting the essential packages");
        } else if (text.startsWith("I: installing essential packages")) {
            enter(Phase.INSTALL_ESSENTIAL, 24, "installing the essential packages");
        } else if (text.startsWith("I: installing remaining packages")) {
            enter(Phase.INSTALL_REST, 50, "installing the packages");
        } else if (text.startsWith("I: cleaning package lists")) {
            enter(Phase.CLEANUP, 98, "cleaning the package cache");
        } else if (text.startsWith("I: success")) {
            enter(Phase.DONE, 100, "root file system ready");
        } else {
            countPackageLine(text);
        }
        return percent != before;
    }

    private void countPackageLine(String text) {
        Matcher newly = NEWLY_INSTALLED.matcher(text);
        if (newly.find()) {
            announced = Integer.parseInt(newly.group(1));
            if (phase == Phase.DOWNLOAD_ESSENTIAL) essential = announced;
            return;
        }
        Matcher get = GET.matcher(text);
        if (get.find() && announced > 0) {
            fetched = Math.max(fetched, Integer.parseInt(get.group(1)));
            switch (phase) {
                case DOWNLOAD_ESSENTIAL -> advance(8, 20, fetched, announced, "downloading essential packages", fetched, announced);
                case INSTALL_REST -> advance(50, 60, fetched, announced, "downloading packages", fetched, announced);
                default -> { }
            }
        } else if (text.startsWith("Unpacking ")) {
            unpacked++;
            switch (phase) {
                case INSTALL_ESSENTIAL -> advance(24, 50, unpacked + setUp, 2 * essential, "unpacking essential packages", unpacked, essential);
                case INSTALL_REST -> advance(60, 75, unpacked, announced, "unpacking packages", unpacked, announced);
                default -> { }
            }
        } else if (text.startsWith("Setting up ")) {
            setUp++;
            switch (phase) {
                case INSTALL_ESSENTIAL -> advance(24, 50, unpacked + setUp, 2 * essential, "setting up essential packages", setUp, essential);
                // the kernel's package is among the last and the slowest (it makes the initramfs)
                case INSTALL_REST -> advance(75, 98, setUp, announced, "setting up packages", setUp, announced);
                default -> { }
            }
        }
    }

    private void enter(Phase next, int at, String doing) {
        phase = next;
        fetched = unpacked = setUp = 0;
        if (next != Phase.INSTALL_ESSENTIAL) announced = 0;
        activity = doing;
        percent = Math.max(percent, at);
    }

    /** Moves to from + (to - from) * done / of; the activity says "count of packages". */
    private void advance(int from, int to, int done, int of, String doing, int count, int packages) {
        if (of <= 0) return;
        int at = from + (to - from) * Math.min(done, of) / of;
        activity = doing + " (" + Math.min(count, packages) + " of " + packages + ")";
        percent = Math.max(percent, at);
    }
}
