package dev.hangar.core.builds;

import dev.hangar.core.HangarException;
import dev.hangar.core.UrlPolicy;
import dev.hangar.core.builds.FactoryImage.Kind;
import dev.hangar.core.builds.FactoryImage.Status;
import dev.hangar.core.operations.Operations;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The image factory, as every face asks for it: base images built from templates, target images made
 * from them, provider images pushed from those; read, listed, deleted. Checks every request before
 * anything is made, then hands the image to its {@link BuildJob}, as VmService hands a VM to its
 * CreationJob.
 */
public final class ImageFactory implements AutoCloseable {
    /** The parameter that asks for Image Factory's mock base image whatever the OS (v1's targets=mock does). */
    public static final String MOCK_PARAMETER = "mock";

    /** The adapters the factory needs. */
    public record Ports(FactoryImageStore images, List<BaseImageBuilder> builders, TargetConverter targets,
                        ProviderPublisher providers, TemplateFetcher templates, BuildNotifier notifier, UrlPolicy urls) {}

    /** Where images are kept, how many builds run at once, and the free space a build needs to start. */
    public record Settings(Path dir, int maxConcurrent, long minFreeBytes) {}

    private final Ports ports;
    private final Clock clock;
    private final BuildJob job;

    /** @param operations where each image's work is also shown, as every long action is (/operations) */
    public ImageFactory(Ports ports, Settings settings, Operations operations, Clock clock) {
        this.ports = ports;
        this.clock = clock;
        this.job = new BuildJob(ports, settings, operations, clock);
    }

    /** Fails what a restart cut off (it cannot be resumed halfway) and removes half-made files. */
    public void start() throws IOException {
        job.recover();
    }

    // ---- creating --------------------------------------------------------------------------------

    /** A base image from a template; 400 invalid-template / template-not-found at once when the template is no good. */
    public FactoryImage createBase(TemplateSource source, Map<String, String> parameters, List<String> callbacks) {
        checkCallbacks(callbacks);
        ImageTemplate template = resolve(source);
        checkFetchedUrls(template);
        FactoryImage image = fresh(Kind.BASE, template, parameters, callbacks, null, null, null, null);
        job.submit(image, null);
        return image;
    }

    /** A target image of an existing base image, or of a new base image built from the template first. */
    public FactoryImage createTarget(UUID baseImage, TemplateSource source, String target, Map<String, String> parameters,
                                     List<String> callbacks) {
        checkCallbacks(callbacks);
        String t = checkedTarget(target);
        UUID base = baseImage;
        if (base == null) {
            if (source == null) throw HangarException.invalid("missing-template", "a target image needs a base image or a template");
            Map<String, String> baseParameters = new java.util.HashMap<>(parameters);
            if (t.equals("mock")) baseParameters.put(MOCK_PARAMETER, "true"); // Image Factory's mock target builds nothing real
            base = createBase(source, baseParameters, List.of()).id();
        } else {
            get(base, Kind.BASE);
        }
        FactoryImage parent = get(base);
        FactoryImage image = fresh(Kind.TARGET, parent.template(), parameters, callbacks, base, null, t, null);
        job.submit(image, null);
        return image;
    }

    /** A provider image: a target image (existing, or made first from a base image or a template) pushed to a provider. */
    public FactoryImage createProvider(UUID targetImage, UUID baseImage, TemplateSource source, String target,
                                       ProviderPublisher.Provider provider, Map<String, String> parameters, List<String> callbacks) {
        checkCallbacks(callbacks);
        if (provider == null || provider.type() == null) throw HangarException.invalid("invalid-provider", "a provider image needs a provider");
        String type = provider.type().toLowerCase(Locale.ROOT);
        if (!ports.providers().providers().contains(type)) {
            throw HangarException.invalid("invalid-provider", "unknown provider " + provider.type() + "; known: "
                    + String.join(", ", new java.util.TreeSet<>(ports.providers().providers())));
        }
        ProviderPublisher.Provider p = new ProviderPublisher.Provider(type, provider.settings(), provider.credentials());
        ports.providers().check(p);
        UUID from = targetImage;
        if (from == null) {
            if (target == null) throw HangarException.invalid("missing-target", "a provider image needs a target image, or a target to make one");
            from = createTarget(baseImage, source, target, parameters, List.of()).id();
        }
        FactoryImage parent = get(from, Kind.TARGET);
        // Only type and settings are stored: credentials stay in memory.
        FactoryImage image = fresh(Kind.PROVIDER, parent.template(), parameters, callbacks, parent.baseImage(), from,
                parent.target(), new ProviderPublisher.Provider(type, p.settings(), Map.of()));
        job.submit(image, p);
        return image;
    }

    private FactoryImage fresh(Kind kind, ImageTemplate template, Map<String, String> parameters, List<String> callbacks, UUID base,
                               UUID targetImage, String target, ProviderPublisher.Provider provider) {
        FactoryImage image = new FactoryImage(UUID.randomUUID(), kind, Status.NEW, 0, "queued", null, template, parameters, callbacks,
                base, targetImage, target, provider, null, null, clock.instant(), clock.instant());
        job.save(image);
        return image;
    }

    /** Callbacks are checked before anything is made: an image made for a refused request would be left over. */
    private void checkCallbacks(List<String> callbacks) {
        for (String url : callbacks) {
            if (!url.matches("(?i)https?://\\S+")) throw HangarException.invalid("invalid-callback-url", "callbacks must be http or https URLs: " + url);
            ports.urls().deliveryRefusal(url).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.CALLBACK_URL_FORBIDDEN, "Hangar does not call back " + url + ": " + why);
            });
        }
    }

    /**
     * The URLs a real build fetches from this host (the install tree or ISO, extra repositories, files by
     * URL) must be ones the outbound policy lets Hangar fetch. MockOS fetches nothing.
     */
    private void checkFetchedUrls(ImageTemplate template) {
        if (template.os().isMock()) return;
        List<String> urls = new ArrayList<>();
        if (template.os().installLocation() != null) urls.add(template.os().installLocation().strip());
        for (ImageTemplate.Repository r : template.repositories()) urls.add(r.url().strip().split("\\s+")[0]); // an apt source: URL SUITE COMPONENTS
        for (ImageTemplate.TemplateFile f : template.files()) {
            if (f.encoding() == ImageTemplate.Encoding.URL) urls.add(f.content().strip());
        }
        for (String url : urls) {
            ports.urls().fetchRefusal(url).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "Hangar does not fetch " + url + ": " + why);
            });
        }
    }

    private ImageTemplate resolve(TemplateSource source) {
        if (source instanceof TemplateSource.AtUrl u) {
            ports.urls().fetchRefusal(u.url()).ifPresent(why -> {
                throw HangarException.invalid(UrlPolicy.IMAGE_URL_FORBIDDEN, "Hangar does not fetch the template at " + u.url() + ": " + why);
            });
        }
        return switch (source) {
            case TemplateSource.Inline i -> i.template().validated();
            case TemplateSource.OfImage o -> ports.images().find(o.image()).map(FactoryImage::template)
                    .orElseThrow(() -> new HangarException(HangarException.Kind.INVALID, "template-not-found", "no image " + o.image() + " to take the template from"));
            case TemplateSource.AtUrl u -> ports.templates().fetch(u.url()).validated();
        };
    }

    private String checkedTarget(String target) {
        String t = target == null ? null : target.strip().toLowerCase(Locale.ROOT);
        if (t == null || !ports.targets().targets().contains(t)) {
            throw HangarException.invalid("invalid-target", "unknown target " + target + "; known: "
                    + String.join(", ", new java.util.TreeSet<>(ports.targets().targets())));
        }
        return t;
    }

    // ---- reading ---------------------------------------------------------------------------------

    public FactoryImage get(UUID id) {
        return ports.images().find(id).filter(i -> i.status() != Status.DELETED)
                .orElseThrow(() -> new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no image " + id));
    }

    /** The image, which must be of that kind: a base image's id is no target image (404). */
    public FactoryImage get(UUID id, Kind kind) {
        FactoryImage image = get(id);
        if (image.kind() != kind) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no " + kind.name().toLowerCase(Locale.ROOT) + " image " + id);
        }
        return image;
    }

    public List<FactoryImage> list(Kind kind) {
        return ports.images().all().stream().filter(i -> i.kind() == kind && i.status() != Status.DELETED).toList();
    }

    /** The images made from this one: a base image's target images, a target image's provider images. */
    public List<FactoryImage> madeFrom(UUID id) {
        return ports.images().all().stream().filter(i -> i.status() != Status.DELETED
                && (i.kind() == Kind.TARGET && id.equals(i.baseImage()) || i.kind() == Kind.PROVIDER && id.equals(i.targetImage()))).toList();
    }

    /** The file of a complete base or target image (raw_image); 404 while it has none. */
    public Path file(UUID id) {
        FactoryImage image = get(id);
        if (image.status() != Status.COMPLETE || image.file() == null) {
            throw new HangarException(HangarException.Kind.NOT_FOUND, "image-file-not-found", "image " + id + " has no file (it is " + image.status() + ")");
        }
        return job.dir(id).resolve(image.file());
    }

    // ---- deleting --------------------------------------------------------------------------------

    /** Cancels the image's work, removes its file and what it pushed, and forgets it. */
    public void delete(UUID id) {
        job.delete(get(id));
    }

    @Override
    public void close() {
        job.close();
    }
}
