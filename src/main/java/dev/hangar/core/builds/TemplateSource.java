package dev.hangar.core.builds;

import java.util.UUID;

/** Where a build's template comes from: given inline, the template of an earlier image, or a URL. */
public sealed interface TemplateSource {
    record Inline(ImageTemplate template) implements TemplateSource {}

    record OfImage(UUID image) implements TemplateSource {}

    record AtUrl(String url) implements TemplateSource {}
}
