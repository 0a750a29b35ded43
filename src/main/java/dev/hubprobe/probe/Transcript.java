package dev.hubprobe.probe;

import java.util.List;

/**
 * What a run saw on the way, for the person reading its page: the spawn's (or launch's) progress
 * events, and each cell's output or error. Cut to a size a page can show; already redacted.
 *
 * @param events the progress events, each at seconds since the run started
 * @param cells  one per cell that ran, in order
 */
public record Transcript(List<Event> events, List<Cell> cells) {
    public static final Transcript EMPTY = new Transcript(List.of(), List.of());
    /**
     * Events kept per run from the start, and as many from the end ({@link ProgressLog}): a spawn that
     * loops on a back-off can send hundreds, a hostile hub any number.
     */
    public static final int MAX_EVENTS = ProgressLog.KEEP;
    /** Characters kept of an event's message and of a cell's output. */
    public static final int MAX_TEXT = 2000;

    public Transcript {
        events = List.copyOf(events);
        cells = List.copyOf(cells);
    }

    public record Event(double atSeconds, String message) {
    }

    /** @param error {@code ename: evalue} when the cell raised, else null */
    public record Cell(String code, String output, String error) {
    }

    static String cut(String s) {
        return dev.hubprobe.json.Json.cap(s, MAX_TEXT);
    }
}
