package io.stowage.it;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CuOutputTest {
    @Test
    void skippedIsNotPassedAndLibiscsiFailedLinesAreNotVerdicts() {
        String out = """
                    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
                Suite: iSCSIdatasn
                  Test: iSCSIDataSnInvalid ...    [FAILED] WRITE10 command failed with status 2
                passed
                Suite: Inquiry
                  Test: Standard ...passed
                  Test: BlockLimits ...    [SKIPPED] Logical unit is fully provisioned. Skipping test
                passed
                  Test: EVPD ...FAILED
                    1. test_inquiry_evpd.c:80  - CU_ASSERT_EQUAL(ret,0)
                  Test: Hangs ...
                """;
        Map<String, CuOutput.Verdict> v = CuOutput.parse(out);
        assertEquals(CuOutput.Verdict.PASSED, v.get("iSCSIdatasn.iSCSIDataSnInvalid"));
        assertEquals(CuOutput.Verdict.PASSED, v.get("Inquiry.Standard"));
        assertEquals(CuOutput.Verdict.SKIPPED, v.get("Inquiry.BlockLimits"));
        assertEquals(CuOutput.Verdict.FAILED, v.get("Inquiry.EVPD"));
        assertEquals(CuOutput.Verdict.FAILED, v.get("Inquiry.Hangs"));
    }

    @Test
    void aTrailingSkipFromSuiteCleanupDoesNotTaintTheLastTest() {
        Map<String, CuOutput.Verdict> v = CuOutput.parse("""
                Suite: Read10
                  Test: Async ...passed    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
                """);
        assertEquals(CuOutput.Verdict.PASSED, v.get("Read10.Async"));
    }
}
