-- MySQL needs DROP INDEX ... ON <table>.
DROP INDEX sessions_identity_id_expires_at_idx ON sessions;
DROP INDEX sessions_token_uq ON sessions;
CREATE INDEX sessions_token_idx ON sessions (token);
