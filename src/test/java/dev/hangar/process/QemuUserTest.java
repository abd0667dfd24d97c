package dev.hangar.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuUserTest {
    @Test
    void aRootServiceSwitchesToHangarQemuWhenItExistsAndRunsAsItselfOtherwise() {
        assertEquals(Optional.of("hangar-qemu"), QemuUser.choose(true, true));
        assertEquals(Optional.empty(), QemuUser.choose(true, false), "a host without install-deps keeps working (with a warning)");
        assertEquals(Optional.empty(), QemuUser.choose(false, true), "an unprivileged service cannot switch, and need not");
    }

    @Test
    void usersAreLookedUpByName() {
        assertTrue(QemuUser.exists("root"));
        assertFalse(QemuUser.exists("no-such-user-hangar"));
    }
}
