package dev.hangar.core.builds;

/** Fetches a template given by URL, and reads it. */
public interface TemplateFetcher {
    /**
     * The template at the URL; HangarException template-fetch-failed (400) when it cannot be had,
     * invalid-template when what came is no template.
     */
    ImageTemplate fetch(String url);
}
