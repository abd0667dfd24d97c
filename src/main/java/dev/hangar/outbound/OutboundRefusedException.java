package dev.hangar.outbound;

import java.io.IOException;

/**
 * A request the outbound policy refused before any connection was made: its host (or a redirect's) is
 * one Hangar must not reach, or a redirect went from https to http. An IOException, so every caller's
 * handling of a failed request applies; callers that report codes tell it apart.
 */
public final class OutboundRefusedException extends IOException {
    public OutboundRefusedException(String message) {
        super(message);
    }
}
