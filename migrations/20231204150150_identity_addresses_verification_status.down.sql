ALTER TABLE identity_addresses ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;

UPDATE identity_addresses SET verified = 1 WHERE status = 'completed';

ALTER TABLE identity_addresses DROP CONSTRAINT identity_addresses_status_check;
ALTER TABLE identity_addresses DROP COLUMN verified_at;
ALTER TABLE identity_addresses DROP COLUMN status;
