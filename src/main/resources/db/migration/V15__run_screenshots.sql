-- A failing UI run's screenshot (probe key ui:), a PNG of at most 512 KiB, kept as long as its run:
-- deleted with it by the foreign key. A table of its own, so that reading runs never reads images.
-- BYTEA: PostgreSQL's binary type, an alias of BINARY VARYING in H2.
CREATE TABLE run_screenshots (
    run_id VARCHAR(36) PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    png    BYTEA NOT NULL
);
