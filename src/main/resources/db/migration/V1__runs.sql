-- One row per probe run, one per phase (sub-phases of the spawn flagged), kept for the retention period.
CREATE TABLE runs (
    id               VARCHAR(36) PRIMARY KEY,
    hub              VARCHAR(63) NOT NULL,
    probe            VARCHAR(63) NOT NULL,
    probe_user       VARCHAR(255),
    started_at       TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    duration_seconds DOUBLE PRECISION NOT NULL,
    passed           BOOLEAN NOT NULL,
    failed_phase     VARCHAR(32),
    reason           VARCHAR(32),
    message          VARCHAR(4000),
    scale_up_observed BOOLEAN,
    facts            VARCHAR(4000) NOT NULL,
    notes            VARCHAR(4000) NOT NULL
);
CREATE INDEX runs_hub_probe_started ON runs (hub, probe, started_at DESC);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE run_phases (
    run_id           VARCHAR(36) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx              INT NOT NULL,
    phase            VARCHAR(32) NOT NULL,
    status           VARCHAR(8) NOT NULL,
    duration_seconds DOUBLE PRECISION NOT NULL,
    reason           VARCHAR(32),
    message          VARCHAR(4000),
    spawn_detail     BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, idx)
);
