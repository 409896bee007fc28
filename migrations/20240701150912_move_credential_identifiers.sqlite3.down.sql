-- SQLite cannot add a UNIQUE constraint to an existing table; a unique index
-- with the same name enforces the same rule.
ALTER TABLE credentials ADD COLUMN identifier VARCHAR(255);

UPDATE credentials
SET identifier = (
    SELECT i.identifier
    FROM identity_credential_identifiers i
    WHERE i.id = (
        SELECT MIN(j.id)
        FROM identity_credential_identifiers j
        WHERE j.identity_credential_id = credentials.id
    )
);

DROP TABLE identity_credential_identifiers;

CREATE UNIQUE INDEX credentials_type_identifier_key ON credentials (credential_type, identifier);
