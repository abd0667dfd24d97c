package dev.hangar.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** URLs as they may be shown: no user info, no query values. */
class RedactedUrlTest {
    @Test
    void userInfoAndQueryValuesAreHiddenTheRestIsKept() {
        assertEquals("https://***@images.example.org/box.tar.gz", RedactedUrl.of("https://alice:s3cret@images.example.org/box.tar.gz"));
        assertEquals("https://s3.example.org/b/box.tar.gz?X-Amz-Signature=***&X-Amz-Expires=***",
                RedactedUrl.of("https://s3.example.org/b/box.tar.gz?X-Amz-Signature=abc123&X-Amz-Expires=600"));
        assertEquals("http://ci.example.org:8080/hook?token=***#***", RedactedUrl.of("http://ci.example.org:8080/hook?token=t0k#frag"));
        assertEquals("http://127.0.0.1:8000/direct-boot.tar.gz", RedactedUrl.of("http://127.0.0.1:8000/direct-boot.tar.gz"));
        assertEquals("***", RedactedUrl.of("http://a b@c/?x=1"), "what cannot be read is not shown");
    }

    @Test
    void everyUrlInAMessageIsRedactedAndItsSentenceKeepsItsPunctuation() {
        assertEquals("GET https://***@host/x.tar.gz?sig=*** answered HTTP 403.",
                RedactedUrl.inText("GET https://u:p@host/x.tar.gz?sig=secret answered HTTP 403."));
        assertEquals("no URL here", RedactedUrl.inText("no URL here"));
        assertEquals("from (http://h/a?k=***), then http://***@g/", RedactedUrl.inText("from (http://h/a?k=v), then http://x:y@g/"));
    }

    @Test
    void aProblemShowsItsUrlsRedacted() {
        assertEquals("download of https://***@h/i failed", new Problem("image-download-failed", "download of https://u:p@h/i failed").message());
    }
}
