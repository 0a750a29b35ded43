package dev.hubprobe.web;

import static dev.hubprobe.web.Html.esc;

import dev.hubprobe.history.PageQueries;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The two images the page and other sites embed: a hub's 90 days, and a badge. Self-contained SVG. */
final class Svg {
    static final int DAYS = 90;

    private Svg() {
    }

    /** One cell per day, oldest at the left: green without failures, amber with some, red when most failed, grey without runs. */
    static String days(String hub, List<PageQueries.Day> days, LocalDate today) {
        Map<LocalDate, PageQueries.Day> byDate = days.stream().collect(Collectors.toMap(PageQueries.Day::date, Function.identity()));
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"450\" height=\"28\" viewBox=\"0 0 450 28\" role=\"img\">");
        s.append("<title>").append(esc(hub)).append(": the last 90 days</title>");
        for (int i = 0; i < DAYS; i++) {
            LocalDate d = today.minusDays(DAYS - 1 - i);
            PageQueries.Day day = byDate.get(d);
            String fill;
            String words;
            if (day == null || day.runs() == 0) {
                fill = "#9aa0a6";
                words = "no runs";
            } else if (day.failed() == 0) {
                fill = "#1e8e3e";
                words = day.runs() + " runs, none failed";
            } else if (day.failed() * 2 < day.runs()) {
                fill = "#e37400";
                words = day.runs() + " runs, " + day.failed() + " failed";
            } else {
                fill = "#c5221f";
                words = day.runs() + " runs, " + day.failed() + " failed";
            }
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"2\" width=\"4\" height=\"24\" rx=\"1\" fill=\"%s\"><title>%s: %s</title></rect>",
                    i * 5, fill, d, words));
        }
        return s.append("</svg>").toString();
    }

    /** A flat badge, {@code hub | passing 99.9%}, its colour matching the state named in it. */
    static String badge(String label, Board.State state, Double uptime30) {
        String value = state.words.toLowerCase(Locale.ROOT) + (uptime30 == null ? "" : " " + Html.percent(uptime30));
        String colour = switch (state) {
            case PASSING -> "#1e8e3e";
            case DEGRADED -> "#e37400";
            case FAILING -> "#c5221f";
            case MAINTENANCE -> "#1a73e8";
            case UNKNOWN -> "#70757a";
        };
        int lw = 10 + 7 * label.length();
        int vw = 10 + 7 * value.length();
        return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"20\" role=\"img\" aria-label=\"%s: %s\">"
                        + "<title>%s: %s (30-day uptime)</title><rect width=\"%d\" height=\"20\" fill=\"#555\"/>"
                        + "<rect x=\"%d\" width=\"%d\" height=\"20\" fill=\"%s\"/>"
                        + "<g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\">"
                        + "<text x=\"5\" y=\"14\">%s</text><text x=\"%d\" y=\"14\">%s</text></g></svg>",
                lw + vw, esc(label), esc(value), esc(label), esc(value), lw, lw, vw, colour, esc(label), lw + 5, esc(value));
    }

    /**
     * A measurement over runs, oldest at the left, as a line scaled from zero to its largest value (a
     * time or a size read from zero, so a small change looks small); each point says its run's value.
     *
     * @param points the values, oldest first, with what each point's tooltip says
     */
    static String series(String title, List<Map.Entry<Double, String>> points) {
        int w = 240;
        int h = 36;
        double max = points.stream().mapToDouble(Map.Entry::getKey).max().orElse(0);
        double scale = max <= 0 ? 0 : (h - 6) / max;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"series\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" role=\"img\"><title>%s</title>", w, h, w, h, esc(title)));
        double step = points.size() > 1 ? (w - 6) / (double) (points.size() - 1) : 0;
        StringBuilder line = new StringBuilder();
        StringBuilder dots = new StringBuilder();
        for (int i = 0; i < points.size(); i++) {
            double x = 3 + i * step;
            double y = h - 3 - Math.max(0, points.get(i).getKey()) * scale;
            line.append(String.format(Locale.ROOT, "%s%.1f,%.1f", i == 0 ? "" : " ", x, y));
            dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#1a73e8\"><title>%s</title></circle>",
                    x, y, esc(points.get(i).getValue())));
        }
        if (points.size() > 1) {
            s.append("<polyline fill=\"none\" stroke=\"#1a73e8\" stroke-width=\"1.5\" points=\"").append(line).append("\"/>");
        }
        return s.append(dots).append("</svg>").toString();
    }
}
