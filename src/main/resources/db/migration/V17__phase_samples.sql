-- The regression baseline's samples: each passing run's passed phases (spawn sub-phases too), a row
-- each, with the pair and start time the baseline selects on, so the baseline reads one index range of
-- a pair in time order and nothing else. Computed from runs joined to run_phases, a 30-day baseline of
-- one pair read every run of the window whole (14,400 at 3 minutes, message, facts and notes decoded)
-- and each run's phases at random; with 1,000 pairs the service spent most of a core on it and
-- allocated several hundred MB a second, and the garbage collector's pauses held the status page
-- (-Pbench-status). The index holds every column a baseline reads: H2 and PostgreSQL read it alone.
-- Deleted with their run (retention). Filled here from the runs already recorded, so the baseline
-- does not start again on upgrade. Plain types, the same on H2 and PostgreSQL.
CREATE TABLE phase_samples (
    run_id           VARCHAR(36) NOT NULL,
    hub              VARCHAR(63) NOT NULL,
    probe            VARCHAR(63) NOT NULL,
    started_at       TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    phase            VARCHAR(32) NOT NULL,
    duration_seconds DOUBLE PRECISION NOT NULL
);

INSERT INTO phase_samples (run_id, hub, probe, started_at, phase, duration_seconds)
SELECT r.id, r.hub, r.probe, r.started_at, p.phase, p.duration_seconds
FROM runs r JOIN run_phases p ON p.run_id = r.id
WHERE r.passed AND p.status = 'passed';

-- built after the rows went in (one sort, not a B-tree kept up row by row); newest first, as the
-- newest samples of a phase are read
CREATE INDEX phase_samples_by_pair ON phase_samples (hub, probe, started_at DESC, phase, duration_seconds);
-- the run's samples go with it: the index the cascade looks them up by (PostgreSQL makes none for a foreign key)
CREATE INDEX phase_samples_run ON phase_samples (run_id);
ALTER TABLE phase_samples ADD CONSTRAINT phase_samples_run_fk FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE;
