package dev.hangar.core;

import java.util.Optional;

/**
 * Whether Hangar may make a request to a URL a client gave, asked when the request comes in so that a
 * refused target is refused at once (400) rather than failing later. The adapter resolves the host (the
 * core does no DNS); a host that does not resolve now is not refused here, since its request would only
 * fail later (and is checked again then, at every hop).
 */
public interface UrlPolicy {
    /** The code of an image, installer or template URL (anything Hangar fetches) the policy refuses. */
    String IMAGE_URL_FORBIDDEN = "image-url-forbidden";
    /** The code of a callback URL the policy refuses. */
    String CALLBACK_URL_FORBIDDEN = "callback-url-forbidden";

    /** Why Hangar must not fetch (GET) this URL, or empty when it may. */
    Optional<String> fetchRefusal(String url);

    /** Why Hangar must not deliver a callback (POST or PUT) to this URL, or empty when it may. */
    Optional<String> deliveryRefusal(String url);
}
