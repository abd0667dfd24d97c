package dev.hangar.core;

import dev.hangar.core.images.Installer;
import dev.hangar.core.networks.NetworkService;
import dev.hangar.core.operations.Operations;
import dev.hangar.core.vms.MachineState;
import dev.hangar.core.vms.Vm;
import dev.hangar.core.vms.VmService;
import dev.hangar.core.vms.VmServiceTest;
import dev.hangar.core.vms.VmSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A real {@link VmService} over {@link VmServiceTest}'s in-memory stand-ins for its ports, for the
 * tests of faces in other packages: machines "run" at once, and a test can stop or pause one behind
 * the service's back, as a user killing QEMU would.
 */
public final class InMemoryCore implements AutoCloseable {
    public final VmService service;
    private final VmServiceTest.Store store = new VmServiceTest.Store();
    private final VmServiceTest.Driver driver = new VmServiceTest.Driver();

    public InMemoryCore(Path data) throws IOException {
        VmServiceTest.Fabric fabric = new VmServiceTest.Fabric();
        NetworkService networks = new NetworkService(new VmServiceTest.Networks(), fabric, new dev.hangar.core.vms.VmsOnNetwork(store), Clock.systemUTC());
        VmServiceTest.Images images = new VmServiceTest.Images();
        service = new VmService(new VmService.Ports(store, images, images,
                location -> new Installer(data.resolve("linux"), data.resolve("initrd.gz")), driver, fabric, new VmServiceTest.Callbacks(),
                new InMemoryUrlPolicy()),
                networks, new Operations(new VmServiceTest.InMemoryOperationStore(), Clock.systemUTC()),
                new VmSettings(data.resolve("vms"), 2, 1024, Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(50)),
                Clock.systemUTC());
        service.start();
    }

    /** The machine stops, as when its QEMU is killed. */
    public void die(UUID id) {
        driver.die(id);
    }

    /** The machine is paused behind the service's back. */
    public void pause(UUID id) {
        driver.states.put(id.toString(), MachineState.PAUSED);
    }

    /** How many times a machine was started. */
    public int starts() {
        return driver.started.size();
    }

    /** Whether the record exists. */
    public boolean exists(UUID id) {
        return store.find(id).isPresent();
    }

    /** Waits up to 10 s for the VM to meet the condition. */
    public Vm await(UUID id, Predicate<Vm> condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Vm vm = null;
        while (System.nanoTime() < until) {
            vm = store.find(id).orElse(null);
            if (vm != null && condition.test(vm)) return vm;
            Thread.sleep(20);
        }
        throw new AssertionError("condition not met: " + vm);
    }

    @Override
    public void close() {
        service.close();
    }
}
