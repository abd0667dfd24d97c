package dev.hangar.api;

/**
 * What a face plugs into a request it turned into a WebSocket ({@link Exchange#webSocket}): told when
 * it opens (with the peer to send to), of every message the client sends, as bytes whether it came as
 * text or binary, and once when it closes. Messages arrive one at a time, in order.
 */
public interface WebSocketEndpoint {
    void opened(WebSocketPeer peer);

    void received(byte[] message);

    /** Called once, whichever side closed, also when the socket never opened. */
    void closed();

    /** The client's end of an open WebSocket. */
    interface WebSocketPeer {
        /** Sends one binary message; blocks until it is written, so a slow client slows the sender. */
        void send(byte[] message) throws java.io.IOException;

        void close();
    }
}
