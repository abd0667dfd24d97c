package dev.hangar.core.builds;

import dev.hangar.core.Problem;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One image of the image factory, with the progress of the work that makes it: a base image (built
 * from a template), a target image (a base image in a target's format) or a provider image (a target
 * image pushed to a provider). Immutable; a change makes a new value the service stores.
 */
public record FactoryImage(
        UUID id,
        Kind kind,
        Status status,
        int percent,
        String activity,
        Problem error,
        ImageTemplate template,
        Map<String, String> parameters,
        List<String> callbacks,
        UUID baseImage,
        UUID targetImage,
        String target,
        ProviderPublisher.Provider provider,
        ProviderPublisher.Published published,
        String file,
        Instant createdAt,
        Instant updatedAt) {

    public enum Kind { BASE, TARGET, PROVIDER }

    /** Image Factory's status words; clients poll until COMPLETE (older ones: COMPLETED) or FAILED. */
    public enum Status {
        NEW, PENDING, BUILDING, COMPLETE, FAILED, DELETING, DELETED, DELETEFAILED;

        public boolean isDone() {
            return this == COMPLETE || this == FAILED || this == DELETED || this == DELETEFAILED;
        }
    }

    public FactoryImage {
        parameters = Map.copyOf(parameters == null ? Map.of() : parameters);
        callbacks = List.copyOf(callbacks == null ? List.of() : callbacks);
        if (activity == null) activity = "";
    }

    public FactoryImage at(Status s, int pct, String what, Instant now) {
        return new FactoryImage(id, kind, s, pct, what, error, template, parameters, callbacks, baseImage, targetImage, target,
                provider, published, file, createdAt, now);
    }

    public FactoryImage failed(Problem problem, Instant now) {
        return new FactoryImage(id, kind, Status.FAILED, percent, activity, problem, template, parameters, callbacks, baseImage,
                targetImage, target, provider, published, file, createdAt, now);
    }

    /** The same record without its file or push: what a failed image keeps (nothing half-made). */
    public FactoryImage withoutOutput() {
        return new FactoryImage(id, kind, status, percent, activity, error, template, parameters, callbacks, baseImage, targetImage,
                target, provider, null, null, createdAt, updatedAt);
    }

    public FactoryImage completed(String file, ProviderPublisher.Published published, Instant now) {
        return new FactoryImage(id, kind, Status.COMPLETE, 100, "done", null, template, parameters, callbacks, baseImage,
                targetImage, target, provider, published, file, createdAt, now);
    }
}
