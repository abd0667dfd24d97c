package dev.hangar.app;

/**
 * Why Hangar did not start: a bad option, or something the options name that is not as they say (a
 * certificate, a socket path, a libvirt). Its message is one line for the operator, naming what to fix.
 */
public final class StartupException extends Exception {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
