-- Alert state survives restarts: an alert already sent is not sent again, and one that is firing
-- is still resolved when its probe recovers.
CREATE TABLE alerts (
    alert_key        VARCHAR(255) PRIMARY KEY,
    kind             VARCHAR(16) NOT NULL,
    hub              VARCHAR(63) NOT NULL,
    probe            VARCHAR(63) NOT NULL,
    phase            VARCHAR(32),
    firing           BOOLEAN NOT NULL,
    consecutive_fail INT NOT NULL,
    consecutive_pass INT NOT NULL,
    starts_at        TIMESTAMP(6) WITH TIME ZONE,
    ends_at          TIMESTAMP(6) WITH TIME ZONE,
    last_notified_at TIMESTAMP(6) WITH TIME ZONE,
    annotations      VARCHAR(8000) NOT NULL
);

CREATE TABLE silences (
    hub         VARCHAR(63) PRIMARY KEY,
    until_at    TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    reason      VARCHAR(1000)
);
