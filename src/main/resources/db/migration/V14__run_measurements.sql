-- What a run's cells reported by hubprobe-measure lines (at most 20 per run), as JSON beside the run's
-- facts and notes: deleted with its run by retention, read with it by the API and the pages. A plain
-- type, the same on H2 and PostgreSQL; a run from before has none (NULL reads as an empty list).
ALTER TABLE runs ADD COLUMN measurements VARCHAR(8000);
