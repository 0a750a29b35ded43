package dev.hubprobe.metrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A gauge's value, set in one step: a scrape never sees it half-written (as it could between the
 * reset and the add of a DoubleAdder).
 */
public final class GaugeValue {
    private final AtomicLong bits = new AtomicLong(Double.doubleToRawLongBits(0));

    public void set(double value) {
        bits.set(Double.doubleToRawLongBits(value));
    }

    public double get() {
        return Double.longBitsToDouble(bits.get());
    }
}
