package dev.hangar.cli;

import dev.hangar.app.Hangar;
import dev.hangar.app.StartupException;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code hangar serve}: the service, in two phases, as the JDK's simple web server starts: the options
 * (and the config file) become {@link dev.hangar.app.Settings}, then {@link Hangar} is built from them
 * and started. It runs until SIGTERM; the VMs keep running after it.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Hangar service.")
public final class ServeCommand implements Callable<Integer> {
    /** How serve ends. A start-up error is 2, as picocli's usage errors are. */
    enum ExitCode {
        OK(0), STARTUP_ERROR(2);

        final int code;

        ExitCode(int code) {
            this.code = code;
        }
    }

    @Mixin
    ServeOptions options;

    @Override
    public Integer call() throws Exception {
        Hangar hangar;
        try {
            hangar = Hangar.start(options.settings(), Clock.systemUTC());
        } catch (StartupException e) {
            System.err.println("hangar: " + e.getMessage());
            return ExitCode.STARTUP_ERROR.code;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hangar.close();
            stopped.countDown();
        }));
        stopped.await();
        return ExitCode.OK.code;
    }
}
