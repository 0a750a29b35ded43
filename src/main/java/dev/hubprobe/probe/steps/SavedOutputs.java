package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.Reason;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A notebook cell's output against the one saved in the file, after the probe's {@code normalize}
 * expressions blanked what differs from run to run (times, addresses): each match in either text
 * becomes {@link #PLACEHOLDER}. Trailing white space of the whole output is not compared.
 */
final class SavedOutputs {
    static final String PLACEHOLDER = "<normalized>";
    /** Lines of context a mismatch message shows around the first differing line. */
    private static final int CONTEXT = 2;

    private SavedOutputs() {
    }

    static void check(String where, String saved, String got, List<String> normalize) {
        String a = normalized(saved, normalize);
        String b = normalized(got, normalize);
        if (!a.equals(b)) {
            throw new ProbeFailure(Reason.OUTPUT_MISMATCH, where + "output differs from the saved output:\n" + diff(a, b));
        }
    }

    static String normalized(String text, List<String> normalize) {
        String out = text.replace("\r\n", "\n");
        for (String re : normalize) {
            out = Pattern.compile(re).matcher(out).replaceAll(PLACEHOLDER);
        }
        return out.stripTrailing();
    }

    /** The first differing line with a little context: '-' the saved line, '+' the new one. */
    static String diff(String saved, String got) {
        List<String> a = saved.lines().toList();
        List<String> b = got.lines().toList();
        int first = 0;
        while (first < a.size() && first < b.size() && a.get(first).equals(b.get(first))) {
            first++;
        }
        StringBuilder d = new StringBuilder("@@ line " + (first + 1) + " @@\n");
        for (int i = Math.max(0, first - CONTEXT); i < first; i++) {
            d.append("  ").append(Json.abbreviate(a.get(i), 200)).append('\n');
        }
        int endA = Math.min(a.size(), first + CONTEXT + 1);
        int endB = Math.min(b.size(), first + CONTEXT + 1);
        for (int i = first; i < endA; i++) {
            d.append("- ").append(Json.abbreviate(a.get(i), 200)).append('\n');
        }
        for (int i = first; i < endB; i++) {
            d.append("+ ").append(Json.abbreviate(b.get(i), 200)).append('\n');
        }
        if (first >= a.size()) {
            d.append("(the saved output ends here)\n");
        }
        if (first >= b.size()) {
            d.append("(the new output ends here)\n");
        }
        return d.toString().stripTrailing();
    }
}
