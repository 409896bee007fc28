-- SQLite cannot drop a column that is part of a UNIQUE constraint, so
-- credentials is rebuilt. Nothing references credentials yet, so the old table
-- can be renamed out of the way inside the transaction; the new
-- identity_credential_identifiers table then references the new credentials.
ALTER TABLE credentials RENAME TO credentials_old;

CREATE TABLE credentials (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL,
    credential_type VARCHAR(32) NOT NULL,
    password_hash VARCHAR(255),
    created_at VARCHAR(32),
    CONSTRAINT credentials_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);

INSERT INTO credentials (id, identity_id, credential_type, password_hash, created_at)
SELECT id, identity_id, credential_type, password_hash, created_at
FROM credentials_old;

CREATE TABLE identity_credential_identifiers (
    id INTEGER PRIMARY KEY,
    identity_credential_id INTEGER NOT NULL,
    identifier VARCHAR(255) NOT NULL,
    created_at VARCHAR(32),
    CONSTRAINT identity_credential_identifiers_credential_fk FOREIGN KEY (identity_credential_id) REFERENCES credentials (id) ON DELETE CASCADE,
    CONSTRAINT identity_credential_identifiers_identifier_key UNIQUE (identifier)
);

INSERT INTO identity_credential_identifiers (id, identity_credential_id, identifier, created_at)
SELECT id, id, identifier, created_at
FROM credentials_old;

DROP TABLE credentials_old;
