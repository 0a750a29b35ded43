-- A hub's chart of 7 or 30 days averages its passing runs' durations per bucket: with only (hub,
-- started_at, id) in the index each of the month's 14,400 runs was read whole (message, facts, notes,
-- transcript), 25 s for one chart on a cold 1,000-hub history, while every other chart, badge and day
-- strip waited in the lane and got 503 (-Pbench-status). The same index (its name, order and first
-- columns unchanged, so the hub's pages read it as before) now also holds what the chart reads.
DROP INDEX runs_hub_started;
CREATE INDEX runs_hub_started ON runs (hub, started_at DESC, id, passed, duration_seconds);
