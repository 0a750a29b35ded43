package dev.hubprobe.jupyter.kernel;

import java.util.List;

/**
 * What one {@code execute_request} produced, gathered from the messages whose parent is that request.
 *
 * @param status  execute_reply status: ok, error or aborted
 * @param results text/plain of execute_result and display_data, in order
 */
public record ExecuteResult(String status, String stdout, String stderr, List<String> results,
                            String errorName, String errorValue, List<String> traceback) {

    public boolean ok() {
        return "ok".equals(status) && errorName == null;
    }

    /** stdout followed by the text/plain results: what a person sees under the cell. */
    public String output() {
        return output(stdout, results);
    }

    /**
     * A cell's stdout followed by its text/plain results, each on a line of its own: the one way a live
     * run and a notebook's saved outputs are put together, so the two compare alike.
     */
    public static String output(CharSequence stdout, List<String> results) {
        StringBuilder b = new StringBuilder(stdout);
        for (String r : results) {
            if (!b.isEmpty() && b.charAt(b.length() - 1) != '\n') {
                b.append('\n');
            }
            b.append(r);
        }
        return b.toString();
    }
}
