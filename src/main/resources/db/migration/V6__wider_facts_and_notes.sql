-- A run's facts and notes are JSON, and serialised JSON is never cut (a cut row could not be read
-- back): the columns hold what a hub with many tls_endpoints records, and the writer leaves whole
-- entries out past them. SET DATA TYPE is the same on H2 and PostgreSQL, and keeps NOT NULL.
ALTER TABLE runs ALTER COLUMN facts SET DATA TYPE VARCHAR(100000);
ALTER TABLE runs ALTER COLUMN notes SET DATA TYPE VARCHAR(100000);
