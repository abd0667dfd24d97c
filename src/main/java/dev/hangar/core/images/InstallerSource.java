package dev.hangar.core.images;


/** Installers (a kernel and an initrd) from network install trees, cached by URL and validator. */
public interface InstallerSource {
    /** Blocking: the installer of the tree at location. Throws HangarException installer-download-failed. */
    Installer fetch(String location);

    /** Called at service start, before any fetch: removes what a crash left half written. */
    default void removeLeftovers() {}
}
