package dev.hangar.builds;

import dev.hangar.core.HangarException.Kind;
import dev.hangar.core.HangarException;

/** The stable codes image builds fail with, made in one place so every step words them alike. */
public final class BuildErrors {
    private BuildErrors() {}

    /** A target the converter does not make (400). */
    public static HangarException invalidTarget(String message) {
        return HangarException.invalid("invalid-target", message);
    }

    /** A provider whose settings or credentials cannot work; the message names the setting (400). */
    public static HangarException invalidProvider(String setting, String message) {
        return HangarException.invalid("invalid-provider", "provider setting " + setting + ": " + message);
    }

    /** A publisher given a provider of another type (ProviderPublishers routes by type, so a wiring mistake): 400 invalid-provider. */
    public static void requireType(String served, dev.hangar.core.builds.ProviderPublisher.Provider provider) {
        if (!served.equals(provider.type())) throw invalidProvider("type", "this publisher serves " + served + ", not " + provider.type());
    }

    /** Converting a base image into a target failed; the message carries the tool's own words. */
    public static HangarException targetFailed(String message, Throwable cause) {
        return new HangarException(Kind.INTERNAL, "target-failed", message, cause);
    }

    /** The provider refused or could not take the image (a registry's answer, a full disk, ...). */
    public static HangarException pushFailed(String message, Throwable cause) {
        return new HangarException(Kind.UNAVAILABLE, "push-failed", message, cause);
    }

    /** The build or push was cancelled (DELETE) while this step ran. */
    public static HangarException cancelled(String what) {
        return new HangarException(Kind.CONFLICT, "build-cancelled", what + " was cancelled");
    }
}
