package dev.hubprobe.probe;

import dev.hubprobe.jupyter.hub.ProgressEvent;
import java.util.AbstractList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's progress events, bounded: the first {@link #KEEP} and the last {@link #KEEP}, however many
 * the hub sends (a spawn looping on a back-off, or a hub that streams events without end). As a list
 * it is the events kept, in order; {@link #total} counts every event seen.
 */
public final class ProgressLog extends AbstractList<ProgressEvent> {
    /** Events kept from the start, and from the end. */
    public static final int KEEP = 200;

    private final List<ProgressEvent> first = new ArrayList<>();
    private final ArrayDeque<ProgressEvent> last = new ArrayDeque<>();
    private int total;

    @Override
    public boolean add(ProgressEvent e) {
        total++;
        if (first.size() < KEEP) {
            first.add(e);
        } else {
            if (last.size() == KEEP) {
                last.removeFirst();
            }
            last.addLast(e);
        }
        return true;
    }

    @Override
    public ProgressEvent get(int index) {
        if (index < first.size()) {
            return first.get(index);
        }
        int i = index - first.size();
        if (i < 0 || i >= last.size()) {
            throw new IndexOutOfBoundsException(index);
        }
        return last.stream().skip(i).findFirst().orElseThrow();
    }

    @Override
    public int size() {
        return first.size() + last.size();
    }

    /** Every event seen, those left out of the middle included. */
    public int total() {
        return total;
    }

    /** Events left out between the first and the last kept ones; they come after index {@code KEEP - 1}. */
    public int leftOut() {
        return total - size();
    }

    /**
     * Whether {@code e} is the event seen at position {@code index} (of all seen): a reopened stream
     * replays the spawn's events from the start. One left out of the middle is taken as the same.
     */
    public boolean seenAt(int index, ProgressEvent e) {
        if (index >= total) {
            return false;
        }
        if (index < first.size()) {
            return first.get(index).sameAs(e);
        }
        int fromEnd = total - index; // 1 for the newest
        if (fromEnd > last.size()) {
            return true;
        }
        return get(size() - fromEnd).sameAs(e);
    }
}
