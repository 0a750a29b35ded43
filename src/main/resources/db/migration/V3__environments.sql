-- The user environment each run's kernel saw. A package list is stored once per fingerprint: most
-- runs see the environment the run before saw, and then add only the fingerprint to their row.
-- Plain SQL types only, the same on H2 and PostgreSQL.
CREATE TABLE environments (
    fingerprint   VARCHAR(16) PRIMARY KEY,
    image         VARCHAR(1000),
    python        VARCHAR(64),
    package_count INT NOT NULL,
    truncated     BOOLEAN NOT NULL,
    first_seen    TIMESTAMP(6) WITH TIME ZONE NOT NULL
);

CREATE TABLE environment_packages (
    fingerprint VARCHAR(16) NOT NULL REFERENCES environments (fingerprint) ON DELETE CASCADE,
    name        VARCHAR(300) NOT NULL,
    version     VARCHAR(300) NOT NULL,
    build       VARCHAR(300),
    channel     VARCHAR(300),
    PRIMARY KEY (fingerprint, name)
);

-- env_detail: the run's own view (pulled image, change from the previous run, from the last pass) as JSON
ALTER TABLE runs ADD COLUMN env_fingerprint VARCHAR(16);
ALTER TABLE runs ADD COLUMN env_changed BOOLEAN;
ALTER TABLE runs ADD COLUMN env_detail VARCHAR(100000);
CREATE INDEX runs_env_fingerprint ON runs (env_fingerprint);
