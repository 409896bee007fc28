-- Bring back identities.email (the oldest email address of each identity) and
-- is_verified. Identities without an email address get NULL; sms addresses are lost.
ALTER TABLE identities ADD COLUMN email VARCHAR(255);
ALTER TABLE identities ADD COLUMN is_verified INTEGER NOT NULL DEFAULT 0;

UPDATE identities
SET email = (
    SELECT a.address
    FROM identity_addresses a
    WHERE a.id = (
        SELECT MIN(b.id)
        FROM identity_addresses b
        WHERE b.identity_id = identities.id AND b.via = 'email'
    )
);

UPDATE identities
SET is_verified = 1
WHERE EXISTS (
    SELECT 1
    FROM identity_addresses a
    WHERE a.identity_id = identities.id AND a.via = 'email' AND a.verified = 1
);

CREATE UNIQUE INDEX users_email_idx ON identities (email);

DROP TABLE identity_addresses;
