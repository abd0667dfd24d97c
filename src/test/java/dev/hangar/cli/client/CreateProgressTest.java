package dev.hangar.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The line `vm create --wait` shows, fed the events the service sends for one creation. */
class CreateProgressTest {
    private static final String ID = "0f8e2c1a-1111-2222-3333-444455556666";
    private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");

    private static JsonNode json(String s) throws Exception {
        return HangarClient.JSON.readTree(s);
    }

    private static JsonNode op(int progress, String phase, String status) throws Exception {
        return json("{\"type\": \"operation\", \"id\": \"x\", \"kind\": \"vm.create\", \"target\": \"" + ID + "\", \"status\": \"" + status
                + "\", \"progress\": " + progress + ", \"phase\": \"" + phase + "\"}");
    }

    private static JsonNode vm(String status, String ip) throws Exception {
        return json("{\"type\": \"vm\", \"id\": \"" + ID + "\", \"status\": \"" + status + "\", \"ip_address\": \"" + ip + "\"}");
    }

    @Test
    void aCreationGoesFromADownloadBarThroughBootingToItsAddress() throws Exception {
        CreateProgress p = new CreateProgress(ID, T0);
        assertEquals("queued    0%  0s", p.line(T0));
        p.accept("vm", vm("creating", ""), T0);
        p.accept("operation", op(10, "fetching the image", "running"), T0.plusSeconds(1));
        assertEquals("downloading  [##......................]  10%  11s", p.line(T0.plusSeconds(12)));
        p.accept("operation", op(60, "starting the machine", "running"), T0.plusSeconds(20));
        assertEquals("booting   60%  3s", p.line(T0.plusSeconds(23)));
        p.accept("operation", op(80, "waiting for the address", "running"), T0.plusSeconds(25));
        p.accept("vm", vm("powered-on", ""), T0.plusSeconds(26));
        assertEquals("waiting for address   80%  5s", p.line(T0.plusSeconds(30)));
        assertEquals(CreateProgress.Outcome.RUNNING, p.outcome());
        p.accept("vm", vm("powered-on", "10.213.0.9"), T0.plusSeconds(42));
        assertEquals(CreateProgress.Outcome.DONE, p.outcome());
        assertEquals("VM " + ID + " is powered-on after 42s at 10.213.0.9", p.finalLine(T0.plusSeconds(42)));
    }

    @Test
    void theDownloadBarShowsBytesRateAndEtaWhenTheServiceSaysThem() throws Exception {
        CreateProgress p = new CreateProgress(ID, T0);
        p.accept("operation", op(10, "fetching the image", "running"), T0.plusSeconds(1));
        p.accept("operation", op(30, "downloading the image: 20971520 of 41943040 bytes", "running"), T0.plusSeconds(5));
        assertEquals("downloading  [############............]  50%  20.0 MiB of 40.0 MiB  5.0 MiB/s  ETA 4s  4s", p.line(T0.plusSeconds(5)));
        p.accept("operation", op(10, "downloading the image: 1048576 bytes", "running"), T0.plusSeconds(5));
        assertEquals("downloading  [#######.................]  30%  1.0 MiB  256.0 KiB/s  4s", p.line(T0.plusSeconds(5)));
        p.accept("operation", op(50, "converting the disks", "running"), T0.plusSeconds(9));
        assertEquals("converting   50%  1s", p.line(T0.plusSeconds(10)));
    }

    @Test
    void otherVmsAndOtherOperationsAreIgnored() throws Exception {
        CreateProgress p = new CreateProgress(ID, T0);
        p.accept("vm", json("{\"id\": \"another\", \"status\": \"powered-on\", \"ip_address\": \"10.213.0.2\"}"), T0);
        p.accept("operation", json("{\"kind\": \"vm.delete\", \"target\": \"" + ID + "\", \"status\": \"running\", \"progress\": 50, \"phase\": \"x\"}"), T0);
        assertEquals(CreateProgress.Outcome.RUNNING, p.outcome());
        assertEquals("queued    0%  0s", p.line(T0));
    }

    @Test
    void aFailedCreationEndsWithTheErrorsCodeAndMessage() throws Exception {
        CreateProgress p = new CreateProgress(ID, T0);
        p.accept("operation", op(10, "fetching the image", "running"), T0);
        p.accept("operation", json("{\"kind\": \"vm.create\", \"target\": \"" + ID + "\", \"status\": \"failed\", \"progress\": 10,"
                + " \"phase\": \"fetching the image\", \"error\": {\"code\": \"image-checksum-mismatch\", \"message\": \"sha256 of x is 00, expected ab\"}}"), T0);
        assertEquals(CreateProgress.Outcome.FAILED, p.outcome());
        assertEquals("hangar: image-checksum-mismatch: sha256 of x is 00, expected ab", p.finalLine(T0));
    }

    @Test
    void aVmInErrorOrDeletedMeanwhileFails() throws Exception {
        CreateProgress error = new CreateProgress(ID, T0);
        error.acceptVm(json("{\"status\": \"error\", \"ip_address\": \"\", \"error\": {\"code\": \"image-download-failed\", \"message\": \"404\"}}"), T0);
        assertEquals("hangar: image-download-failed: 404", error.finalLine(T0));
        CreateProgress gone = new CreateProgress(ID, T0);
        gone.vmGone();
        assertEquals("vm-deleted", gone.errorCode());
    }

    @Test
    void phasesReadAsPeopleSayThem() {
        assertEquals("downloading", CreateProgress.stageOf("fetching the image"));
        assertEquals("converting", CreateProgress.stageOf("converting the disks"));
        assertEquals("booting", CreateProgress.stageOf("starting the machine"));
        assertEquals("waiting for address", CreateProgress.stageOf("waiting for the address"));
        assertEquals("queued", CreateProgress.stageOf("queued"));
    }
}
