package dev.hangar.core.images;

import java.nio.file.Path;

/** An installer's kernel and initrd, fetched from an install tree and cached; the files never change. */
public record Installer(Path kernel, Path initrd) {}
