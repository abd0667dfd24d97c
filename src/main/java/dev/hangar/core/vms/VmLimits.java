package dev.hangar.core.vms;

/**
 * How much the service takes on: at most {@code maxVms} VM records (every status but deleting), and at
 * most {@code maxConcurrentCreates} of them creating at once (downloading, converting, booting). Past
 * the first a create is refused 507 vm-limit-reached (a VM must go first); past the second 429
 * too-many-creates (ask again shortly). Either way nothing is made.
 */
public record VmLimits(int maxVms, int maxConcurrentCreates) {
    /** The defaults: enough for a build farm on one host, few enough that one client cannot fill its disk by accident. */
    public static final VmLimits DEFAULT = new VmLimits(200, 8);

    public VmLimits {
        if (maxVms < 1) throw new IllegalArgumentException("the VM limit must be at least 1");
        if (maxConcurrentCreates < 1) throw new IllegalArgumentException("the limit on creates at once must be at least 1");
    }
}
