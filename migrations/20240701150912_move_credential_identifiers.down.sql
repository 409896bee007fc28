-- Each credential gets back its oldest identifier; extra identifiers are lost.
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

ALTER TABLE credentials
    ADD CONSTRAINT credentials_type_identifier_key UNIQUE (credential_type, identifier);
