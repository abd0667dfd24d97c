package dev.hangar.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuUsersTest {
    private final QemuUsers users = new QemuUsers(995);

    @TempDir
    Path vms;

    @Test
    void onlyARootServiceWithTheGroupSwitchesUsers() {
        assertEquals(995, QemuUsers.choose(true, Optional.of(995)).orElseThrow().gid());
        assertTrue(QemuUsers.choose(true, Optional.empty()).isEmpty(), "a host without install-deps keeps working (with a warning)");
        assertTrue(QemuUsers.choose(false, Optional.of(995)).isEmpty(), "an unprivileged service cannot switch, and need not");
    }

    @Test
    void everyMachineHasAUidOfItsOwnAndKeepsItAcrossRestarts() throws Exception {
        Path a = Files.createDirectories(vms.resolve("a"));
        Path b = Files.createDirectories(vms.resolve("b"));

        QemuUsers.Ids first = users.forMachine(a);
        QemuUsers.Ids other = users.forMachine(b);

        assertNotEquals(first.uid(), other.uid());
        assertEquals(995, first.gid(), "every QEMU is in the QEMUs' group");
        assertTrue(first.uid() >= QemuUsers.FIRST_UID && first.uid() < QemuUsers.FIRST_UID + QemuUsers.UIDS / 2, "the machines' half");
        assertEquals(first, users.forMachine(a), "a restarted machine keeps its uid");
        assertEquals(first, new QemuUsers(995).forMachine(a), "and so after the service restarted: its directory records it");
        assertEquals(first.uid() + ":995", first.runas(), "as QEMU's -runas takes it");
    }

    @Test
    void aUidThatIsNotHangarsIsReplaced() throws Exception {
        Path a = Files.createDirectories(vms.resolve("a"));
        Files.writeString(a.resolve(QemuUsers.UID_FILE), "0\n");

        int uid = users.forMachine(a).uid();

        assertTrue(uid >= QemuUsers.FIRST_UID, "never root, nor any uid outside the range: " + uid);
        assertEquals(uid + "\n", Files.readString(a.resolve(QemuUsers.UID_FILE)));
    }

    @Test
    void eachRunIsLentAUidNoMachineAndNoOtherRunHas() {
        Set<Integer> lent = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            QemuUsers.Lease lease = users.lend();
            assertTrue(lent.add(lease.ids().uid()), "lent twice: " + lease.ids());
            assertTrue(lease.ids().uid() >= QemuUsers.FIRST_UID + QemuUsers.UIDS / 2, "the upper half: " + lease.ids());
            assertTrue(lease.ids().uid() < QemuUsers.FIRST_UID + QemuUsers.UIDS);
        }
        assertEquals("1900000000-1900065535", QemuUsers.uidRange(), "what iptables' owner match takes");
    }

    @Test
    void aUidSomeProcessRunsAsIsNotTaken() throws Exception {
        assertTrue(QemuUsers.uidsOfProcesses().contains((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "this test's own process is seen");
    }
}
