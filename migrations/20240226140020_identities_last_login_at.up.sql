-- Denormalise the last login time onto identities, backfilled from the
-- newest session each identity ever had.
ALTER TABLE identities ADD COLUMN last_login_at VARCHAR(32);

UPDATE identities
SET last_login_at = (
    SELECT MAX(s.issued_at)
    FROM sessions s
    WHERE s.identity_id = identities.id
);
