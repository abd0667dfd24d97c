package dev.hangar.builds;

import dev.hangar.core.builds.BuildProgress;

/**
 * One step's share of a longer piece of work: the step reports 0 to 100 of its own work and the
 * parent sees it as {@code from} to {@code to}. Repeated reports of the same percent are dropped, so a
 * step may report as often as it likes.
 */
public final class ProgressSpan implements BuildProgress {
    private final BuildProgress parent;
    private final int from;
    private final int to;
    private int lastPercent = -1;
    private String lastActivity;

    public ProgressSpan(BuildProgress parent, int from, int to) {
        if (from < 0 || to > 100 || from > to) throw new IllegalArgumentException("bad span " + from + ".." + to);
        this.parent = parent;
        this.from = from;
        this.to = to;
    }

    @Override
    public void report(int percent, String activity) {
        int clamped = Math.max(0, Math.min(100, percent));
        int mapped = from + (to - from) * clamped / 100;
        if (mapped == lastPercent && activity.equals(lastActivity)) return;
        lastPercent = mapped;
        lastActivity = activity;
        parent.report(mapped, activity);
    }

    /** Reports done bytes of total as a percent of this span. */
    public void reportBytes(long done, long total, String activity) {
        report(total <= 0 ? 100 : (int) (done * 100 / total), activity);
    }

    @Override
    public boolean cancelled() {
        return parent.cancelled();
    }
}
