-- A credential can have several login identifiers (e.g. email and username).
-- Move credentials.identifier into its own table, one row per credential,
-- reusing the credential id as identifier id.
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
FROM credentials;

ALTER TABLE credentials DROP CONSTRAINT credentials_type_identifier_key;
ALTER TABLE credentials DROP COLUMN identifier;
