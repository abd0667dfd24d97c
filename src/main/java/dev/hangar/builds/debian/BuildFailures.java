package dev.hangar.builds.debian;

import dev.hangar.core.HangarException;
import dev.hangar.core.HangarException.Kind;

/** The two ways a build ends early, worded alike by every step. */
final class BuildFailures {
    private BuildFailures() {}

    /** The build cannot finish; the message is the reason a user reads (a tool's last lines, a refusal). */
    static HangarException failed(String reason) {
        return new HangarException(Kind.INTERNAL, "build-failed", reason);
    }

    static HangarException failed(String reason, Throwable cause) {
        return new HangarException(Kind.INTERNAL, "build-failed", reason, cause);
    }

    /** The build was cancelled (BuildProgress.cancelled()) and stopped at its next check. */
    static HangarException cancelled() {
        return new HangarException(Kind.CONFLICT, "build-cancelled", "the build was cancelled");
    }
}
