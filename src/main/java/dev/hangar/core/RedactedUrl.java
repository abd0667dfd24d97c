package dev.hangar.core;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A URL as it may be shown (in an answer, an event, a log line, an error): its user info is {@code ***}
 * and so is each query value, since both carry secrets (a password, a pre-signed query, a callback's
 * token). The stored URL keeps them; only what is shown loses them.
 */
public final class RedactedUrl {
    static final String HIDDEN = "***";

    private RedactedUrl() {}

    /** The URL with its secrets hidden; a text that is no URL is shown as it is only when it has no '@' or '?'. */
    public static String of(String url) {
        if (url == null) return null;
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            return url.indexOf('@') < 0 && url.indexOf('?') < 0 ? url : HIDDEN;
        }
        if (uri.isOpaque() || uri.getRawAuthority() == null) return uri.getRawQuery() == null ? url : HIDDEN;
        StringBuilder out = new StringBuilder();
        if (uri.getScheme() != null) out.append(uri.getScheme()).append("://");
        if (uri.getRawUserInfo() != null) out.append(HIDDEN).append('@');
        out.append(uri.getRawAuthority().substring(uri.getRawUserInfo() == null ? 0 : uri.getRawUserInfo().length() + 1));
        if (uri.getRawPath() != null) out.append(uri.getRawPath());
        if (uri.getRawQuery() != null) {
            out.append('?');
            String[] pairs = uri.getRawQuery().split("&", -1);
            for (int i = 0; i < pairs.length; i++) {
                if (i > 0) out.append('&');
                int eq = pairs[i].indexOf('=');
                out.append(eq < 0 ? pairs[i] : pairs[i].substring(0, eq + 1) + HIDDEN);
            }
        }
        if (uri.getRawFragment() != null) out.append('#').append(HIDDEN);
        return out.toString();
    }

    private static final java.util.regex.Pattern URL_IN_TEXT =
            java.util.regex.Pattern.compile("(?i)\\b[a-z][a-z0-9+.-]{0,15}://[^\\s\"'<>]+");

    /** A text (an error message) with every URL in it shown as {@link #of} shows it. */
    public static String inText(String text) {
        if (text == null || text.indexOf("://") < 0) return text;
        java.util.regex.Matcher m = URL_IN_TEXT.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String url = m.group();
            // A sentence's closing punctuation is not part of the URL it ends with.
            String tail = url.replaceFirst("^.*?([.,;:)\\]]*)$", "$1");
            url = url.substring(0, url.length() - tail.length());
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(of(url) + tail));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The same for a URI. */
    public static String of(URI uri) {
        return uri == null ? null : of(uri.toString());
    }
}
