CREATE TABLE sessions (
    id VARCHAR(36) PRIMARY KEY,
    user_id INTEGER NOT NULL,
    token VARCHAR(64) NOT NULL,
    issued_at VARCHAR(32) NOT NULL,
    expires_at VARCHAR(32),
    active INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT sessions_identity_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX sessions_token_idx ON sessions (token);
-- Explicit FK index (PostgreSQL does not create one; InnoDB's implicit one would
-- be silently replaced by any later index starting with user_id).
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
