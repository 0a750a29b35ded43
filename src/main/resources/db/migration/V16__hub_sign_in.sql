-- Sign-in through the hub's OAuth (server.hub_oauth). A session opened by the hub names the hub user,
-- keeps the hub's token for that user encrypted (AES-GCM under a key derived from the OAuth client
-- secret: a copy of the table alone is no token) and when the hub last confirmed the user may still
-- sign in; a token session leaves the three empty. Plain types, the same on H2 and PostgreSQL.
ALTER TABLE operator_sessions ADD COLUMN hub_user VARCHAR(255);
ALTER TABLE operator_sessions ADD COLUMN hub_token VARCHAR(2000);
ALTER TABLE operator_sessions ADD COLUMN hub_checked_at TIMESTAMP(6) WITH TIME ZONE;
CREATE INDEX operator_sessions_hub_checked ON operator_sessions (hub_checked_at);

-- Sign-ins under way: the OAuth state sent to the hub, single use (the callback deletes its row), bound
-- to the browser that started it (a hash of the random value in its cookie) and to the page it asked for.
-- Only hashes of the two random values are kept. In the shared database, so a callback that reaches
-- another replica is known there.
CREATE TABLE oauth_states (
    state_hash   VARCHAR(64) PRIMARY KEY,
    browser_hash VARCHAR(64) NOT NULL,
    next_path    VARCHAR(2000) NOT NULL,
    expires_at   TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
