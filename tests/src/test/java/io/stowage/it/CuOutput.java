package io.stowage.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code iscsi-test-cu}'s console output test by test. CUnit reports a skipped test as passed, so a test
 * counts as PASSED only if it ran to "passed" without printing {@code [SKIPPED]} first; "[FAILED]" lines are
 * libiscsi's diagnostics, not CUnit's verdict, and are ignored.
 */
final class CuOutput {
    enum Verdict { PASSED, FAILED, SKIPPED }

    private static final Pattern MARKER = Pattern.compile("Suite: (\\S+)|  Test: (\\S+) \\.\\.\\.");
    private static final Pattern VERDICT = Pattern.compile("(?<!\\[)\\b(passed|FAILED)\\b(?!\\])");

    private CuOutput() {
    }

    /** Test name (Suite.Test) → verdict, in output order. A test with no verdict (hang, crash) is FAILED. */
    static Map<String, Verdict> parse(String output) {
        Map<String, Verdict> out = new LinkedHashMap<>();
        Matcher m = MARKER.matcher(output);
        List<int[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        String suite = "";
        while (m.find()) {
            if (m.group(1) != null) {
                suite = m.group(1);
                if (!spans.isEmpty() && spans.get(spans.size() - 1)[1] < 0) {
                    spans.get(spans.size() - 1)[1] = m.start();
                }
                continue;
            }
            if (!spans.isEmpty() && spans.get(spans.size() - 1)[1] < 0) {
                spans.get(spans.size() - 1)[1] = m.start();
            }
            spans.add(new int[] {m.end(), -1});
            names.add(suite + "." + m.group(2));
        }
        for (int i = 0; i < spans.size(); i++) {
            int end = spans.get(i)[1] < 0 ? output.length() : spans.get(i)[1];
            String body = output.substring(spans.get(i)[0], end);
            Matcher v = VERDICT.matcher(body);
            Verdict verdict;
            if (!v.find() || v.group(1).equals("FAILED")) {
                verdict = Verdict.FAILED;
            } else {
                verdict = body.substring(0, v.start()).contains("[SKIPPED]") ? Verdict.SKIPPED : Verdict.PASSED;
            }
            out.put(names.get(i), verdict);
        }
        return out;
    }
}
