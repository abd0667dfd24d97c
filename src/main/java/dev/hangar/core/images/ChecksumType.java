package dev.hangar.core.images;

import dev.hangar.core.HangarException;
import java.util.Locale;

/** The checksum algorithms an image reference may name. */
public enum ChecksumType {
    MD5("MD5", 32), SHA1("SHA-1", 40), SHA256("SHA-256", 64), SHA512("SHA-512", 128);

    private final String algorithm;
    private final int hexLength;

    ChecksumType(String algorithm, int hexLength) {
        this.algorithm = algorithm;
        this.hexLength = hexLength;
    }

    /** The name {@link java.security.MessageDigest} knows it by. */
    public String algorithm() { return algorithm; }

    public int hexLength() { return hexLength; }

    /** The lower-case name used on the wire: md5, sha1, sha256, sha512. */
    public String wireName() { return name().toLowerCase(Locale.ROOT); }

    public static ChecksumType parse(String name) {
        if (name != null) {
            for (ChecksumType t : values()) {
                if (t.wireName().equalsIgnoreCase(name.trim())) return t;
            }
        }
        throw HangarException.invalid("invalid-checksum-type",
                "checksum_type must be one of md5, sha1, sha256, sha512, not " + name);
    }
}
