DROP INDEX sessions_identity_id_expires_at_idx;
DROP INDEX sessions_token_uq;
CREATE INDEX sessions_token_idx ON sessions (token);
