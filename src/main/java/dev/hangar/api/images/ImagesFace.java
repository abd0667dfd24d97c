package dev.hangar.api.images;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import dev.hangar.api.Fields;
import dev.hangar.core.HangarException;
import dev.hangar.core.images.CachedImage;
import dev.hangar.core.images.WarmTemplates;
import dev.hangar.core.vms.ImageCache;
import dev.hangar.core.vms.WarmStarts;
import java.io.IOException;
import java.util.List;

/**
 * The gold image cache: {@code GET /images} lists each gold ({@code key, bytes, last_used, vms}, least
 * recently used first) with the cache's total and limit; {@code POST /images/prune} removes every gold
 * no VM uses and says which went and how many bytes it freed. {@code GET /images/KEY} shows one, with
 * its warm settings and memory templates; {@code PUT /images/KEY/warm} ({@code {"enabled": true,
 * "pool": 0}}) marks it warm or cold (see docs/warm-starts.md).
 */
public final class ImagesFace {
    private final ImageCache cache;
    private final WarmStarts warm;

    public ImagesFace(ImageCache cache, WarmStarts warm) {
        this.cache = cache;
        this.warm = warm;
    }

    public void register(ApiServer server) {
        server.route("GET", "/images", this::list).route("POST", "/images/prune", this::prune)
                .route("GET", "/images/:key", this::show).route("PUT", "/images/:key/warm", this::setWarm);
    }

    private void show(Exchange ex) throws IOException {
        String key = ex.pathParam("key");
        ImageCache.Entry entry = cache.list().stream().filter(e -> e.image().key().equals(key)).findFirst()
                .orElseThrow(() -> notFound(key));
        ObjectNode o = render(entry.image()).put("vms", entry.vms());
        o.set("warm", renderWarm(warm.status(key)));
        ex.json(200, o);
    }

    private void setWarm(Exchange ex) throws IOException {
        String key = ex.pathParam("key");
        // An image not in the cache is WarmStarts' 404 image-not-found: no listing of the whole cache here.
        var body = ex.jsonObject("invalid-warm");
        Boolean enabled = Fields.optionalBoolean(body, "enabled", "invalid-warm");
        Integer pool = Fields.optionalInt(body, "pool", "invalid-pool");
        if (enabled == null) throw HangarException.invalid("invalid-warm", "enabled (true or false) is required");
        ex.json(200, renderWarm(warm.configure(key, new WarmTemplates.Settings(enabled, pool == null ? 0 : pool))));
    }

    private static HangarException notFound(String key) {
        return new HangarException(HangarException.Kind.NOT_FOUND, "image-not-found", "no cached image " + key);
    }

    private static ObjectNode renderWarm(WarmStarts.Status status) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("enabled", status.settings().enabled());
        o.put("pool", status.settings().pool());
        o.put("pool_ready", status.poolReady());
        if (status.unsupported() != null) o.put("unsupported", status.unsupported());
        ArrayNode templates = o.putArray("templates");
        for (WarmTemplates.Summary t : status.templates()) {
            ObjectNode j = templates.addObject().put("key", t.key()).put("state", t.state());
            if (t.shape() != null) j.put("shape", t.shape());
            if (t.reason() != null) j.put("reason", t.reason());
            if (t.at() != null) j.put("at", t.at().toString());
        }
        return o;
    }

    private void list(Exchange ex) throws IOException {
        ArrayNode images = Json.MAPPER.createArrayNode();
        long total = 0;
        for (ImageCache.Entry e : cache.list()) {
            images.add(render(e.image()).put("vms", e.vms()));
            total += e.image().bytes();
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("images", images);
        o.put("bytes", total);
        if (cache.limitBytes().isPresent()) o.put("limit_bytes", cache.limitBytes().getAsLong());
        else o.putNull("limit_bytes");
        ex.json(200, o);
    }

    private void prune(Exchange ex) throws IOException {
        List<CachedImage> removed = cache.prune();
        ArrayNode list = Json.MAPPER.createArrayNode();
        removed.forEach(i -> list.add(render(i)));
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("removed", list);
        o.put("freed_bytes", removed.stream().mapToLong(CachedImage::bytes).sum());
        ex.json(200, o);
    }

    private static ObjectNode render(CachedImage image) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("key", image.key());
        o.put("bytes", image.bytes());
        o.put("last_used", image.lastUsed().toString());
        return o;
    }
}
