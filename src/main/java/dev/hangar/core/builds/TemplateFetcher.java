package dev.hangar.core.builds;

/** Fetches a template given by URL. */
public interface TemplateFetcher {
    /** The document at the URL, as text; HangarException template-fetch-failed (400) when it cannot be had. */
    String fetch(String url);
}
