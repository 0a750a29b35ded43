-- A hub's runs in time order, whatever their probe: the hub page (newest first, 50 to a page), a run's
-- previous and next, the hub's chart and a badge's uptime edge read a range of this index. Without it
-- each of them read every run the hub has (the index on hub, probe, started_at gives no order across
-- probes, and no start-time range without the probe): 14,000 rows a look at 3 minutes over 30 days.
-- id last: the pages' tie-break, so they read the index in order and stop at the page's end.
CREATE INDEX runs_hub_started ON runs (hub, started_at DESC, id);
