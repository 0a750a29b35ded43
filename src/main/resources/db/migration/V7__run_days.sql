-- The status page's uptime and day strips, kept as they happen: one row per (hub, probe, UTC day)
-- with its runs and passing runs, incremented in SQL by the run writer in the run's own transaction
-- (so two replicas writing at once never lose a count). Runs aborted by a stop count for nothing:
-- neither a pass nor a failure. Filled here from the runs already recorded, so uptime does not
-- reset on upgrade. Plain types, the same on H2 and PostgreSQL.
CREATE TABLE run_days (
    hub      VARCHAR(63) NOT NULL,
    probe    VARCHAR(63) NOT NULL,
    day_utc  DATE NOT NULL,
    runs     INT NOT NULL,
    passed   INT NOT NULL,
    PRIMARY KEY (hub, probe, day_utc)
);
CREATE INDEX run_days_day ON run_days (day_utc);

INSERT INTO run_days (hub, probe, day_utc, runs, passed)
SELECT hub, probe, d, COUNT(*), SUM(CASE WHEN passed THEN 1 ELSE 0 END)
FROM (SELECT hub, probe, passed, CAST(started_at AT TIME ZONE 'UTC' AS DATE) AS d FROM runs
      WHERE reason IS NULL OR reason <> 'aborted') t
GROUP BY hub, probe, d;
