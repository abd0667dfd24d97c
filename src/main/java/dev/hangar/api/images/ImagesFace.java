package dev.hangar.api.images;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.api.ApiServer;
import dev.hangar.api.Exchange;
import dev.hangar.api.Json;
import dev.hangar.core.images.CachedImage;
import dev.hangar.core.vms.ImageCache;
import java.io.IOException;
import java.util.List;

/**
 * The gold image cache: {@code GET /images} lists each gold ({@code key, bytes, last_used, vms}, least
 * recently used first) with the cache's total and limit; {@code POST /images/prune} removes every gold
 * no VM uses and says which went and how many bytes it freed.
 */
public final class ImagesFace {
    private final ImageCache cache;

    public ImagesFace(ImageCache cache) {
        this.cache = cache;
    }

    public void register(ApiServer server) {
        server.route("GET", "/images", this::list).route("POST", "/images/prune", this::prune);
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
