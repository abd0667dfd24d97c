package dev.hangar.core;

/**
 * Why something failed, kept with the record it failed for: a stable code and a human message. The
 * message is shown to whoever reads the record, so every URL in it is shown without its secrets
 * ({@link RedactedUrl}): a failure's text often names the URL that failed.
 */
public record Problem(String code, String message) {
    public Problem {
        message = RedactedUrl.inText(message);
    }

    public static Problem of(HangarException e) { return new Problem(e.code(), e.getMessage()); }
}
