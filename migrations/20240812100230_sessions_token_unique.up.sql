-- Session tokens must be unique; also speed up "active sessions of identity X".
DROP INDEX sessions_token_idx;
CREATE UNIQUE INDEX sessions_token_uq ON sessions (token);
CREATE INDEX sessions_identity_id_expires_at_idx ON sessions (identity_id, expires_at);
