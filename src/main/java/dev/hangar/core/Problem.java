package dev.hangar.core;

/** Why something failed, kept with the record it failed for: a stable code and a human message. */
public record Problem(String code, String message) {
    public static Problem of(HangarException e) { return new Problem(e.code(), e.getMessage()); }
}
