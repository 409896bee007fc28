-- Replace the 0/1 verified flag with a verification status plus the time of
-- verification (we only know the creation time for already verified ones).
ALTER TABLE identity_addresses ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'pending';
ALTER TABLE identity_addresses ADD COLUMN verified_at VARCHAR(32);

UPDATE identity_addresses
SET status = 'completed', verified_at = created_at
WHERE verified = 1;

ALTER TABLE identity_addresses DROP COLUMN verified;

ALTER TABLE identity_addresses
    ADD CONSTRAINT identity_addresses_status_check CHECK (status IN ('pending', 'completed'));
