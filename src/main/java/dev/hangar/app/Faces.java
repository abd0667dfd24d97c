package dev.hangar.app;

import dev.hangar.api.ApiServer;
import dev.hangar.api.events.EventsFace;
import dev.hangar.api.groups.GroupsFace;
import dev.hangar.api.hosts.HostsFace;
import dev.hangar.api.imagefactory.ImageFactoryFace;
import dev.hangar.api.images.ImagesFace;
import dev.hangar.api.operations.OperationsFace;
import dev.hangar.api.ops.HealthFace;
import dev.hangar.api.ops.MetricsFace;
import dev.hangar.api.ops.OpenApiFace;
import dev.hangar.api.ui.UiFace;
import dev.hangar.api.vms.VmsFace;

/**
 * The HTTP faces and which listener serves which: the one place that decides it, so the OpenAPI
 * document's check (OpenApiTest) sees exactly the routes {@code serve} registers.
 */
public record Faces(VmsFace vms, GroupsFace groups, HostsFace hosts, OperationsFace operations, ImagesFace images,
                    MetricsFace metrics, EventsFace events, HealthFace health, ImageFactoryFace imageFactory,
                    UiFace ui) {

    /** The main listener: every face, the web console, and the OpenAPI document of them all. */
    public void registerMain(ApiServer api) {
        vms.register(api);
        groups.register(api);
        hosts.register(api);
        operations.register(api);
        images.register(api);
        metrics.register(api);
        events.register(api);
        health.register(api);
        imageFactory.register(api);
        ui.register(api);
        new OpenApiFace().register(api);
    }

    /** The staging agent's own listener (--hosts-listen). */
    public void registerHosts(ApiServer api) {
        hosts.register(api);
    }

    /** Image Factory's own listener (--imagefactory-listen / --port). */
    public void registerImageFactory(ApiServer api) {
        imageFactory.register(api);
    }
}
