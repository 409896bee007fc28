CREATE TABLE credentials (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    credential_type VARCHAR(32) NOT NULL,
    identifier VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255),
    created_at VARCHAR(32),
    CONSTRAINT credentials_identity_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT credentials_type_identifier_key UNIQUE (credential_type, identifier)
);
