package dev.hangar.process;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unprivileged system user QEMU and qemu-img run as when they handle what guests and downloaded
 * images control: {@code hangar-qemu}, made by scripts/install-deps (no shell, no home, no files of its
 * own). Only a service running as root can switch to it; one that is not root runs them as itself,
 * which is unprivileged already. A root service on a host without the user runs them as root and says
 * so once, rather than refusing to work on a machine install-deps never set up.
 */
public final class QemuUser {
    public static final String NAME = "hangar-qemu";
    private static final Logger log = LoggerFactory.getLogger(QemuUser.class);
    private static volatile Optional<String> resolved;

    private QemuUser() {}

    /** The user to switch to, or empty when there is none to switch to (looked up once). */
    public static Optional<String> name() {
        Optional<String> r = resolved;
        if (r == null) {
            synchronized (QemuUser.class) {
                r = resolved;
                if (r == null) resolved = r = choose(Privileges.root(), exists(NAME));
            }
        }
        return r;
    }

    static Optional<String> choose(boolean root, boolean userExists) {
        if (!root) return Optional.empty();
        if (userExists) return Optional.of(NAME);
        log.warn("there is no user {}: QEMU and qemu-img run as root (scripts/install-deps adds the user)", NAME);
        return Optional.empty();
    }

    static boolean exists(String user) {
        try {
            FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(user);
            return true;
        } catch (UserPrincipalNotFoundException e) {
            return false;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
