-- Operator sessions (POST /login), in the history database so that every replica behind a
-- round-robin balancer knows every session. Only a SHA-256 of the session id is kept (a copy of the
-- table opens no session), with its expiry and a fingerprint of the token it was opened with (so a
-- rotated token ends its sessions on every replica). Plain types, the same on H2 and PostgreSQL.
CREATE TABLE operator_sessions (
    id_hash    VARCHAR(64) PRIMARY KEY,
    token_fp   VARCHAR(64) NOT NULL,
    expires_at TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);
