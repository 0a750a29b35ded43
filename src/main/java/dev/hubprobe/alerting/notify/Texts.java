package dev.hubprobe.alerting.notify;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a notifier does to text that came from a hub before it leaves: cut to what the receiver takes
 * (a visible marker, never a silent cut), and for Slack escaped, so it is shown and never read as markup.
 */
final class Texts {
    /** PagerDuty Events v2 refuses a {@code payload.summary} longer than this. */
    static final int PAGERDUTY_SUMMARY_MAX = 1024;
    /**
     * Each annotation or detail value sent to a receiver: Alertmanager keeps every annotation in memory
     * and in every notification its templates render, so one hub's 100 kB exception must not ride along.
     */
    static final int ANNOTATION_MAX = 2048;
    static final String CUT = " [cut]";

    private Texts() {
    }

    /** {@code s} when it fits in {@code max} characters, else its start and {@link #CUT}, {@code max} in all. */
    static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max - CUT.length();
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--; // never half a character
        }
        return s.substring(0, end) + CUT;
    }

    static Map<String, String> cutAll(Map<String, String> values, int max) {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, cut(v, max)));
        return out;
    }

    /**
     * Slack mrkdwn's three control characters as entities: a hub's {@code <!channel>} or
     * {@code <https://evil|your bank>} is then shown as typed, never as a mention or a disguised link.
     */
    static String mrkdwn(String s) {
        return s == null ? null : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
