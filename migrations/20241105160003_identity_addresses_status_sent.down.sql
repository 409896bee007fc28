UPDATE identity_addresses SET status = 'pending' WHERE status = 'sent';
ALTER TABLE identity_addresses DROP CONSTRAINT identity_addresses_status_check;
ALTER TABLE identity_addresses
    ADD CONSTRAINT identity_addresses_status_check CHECK (status IN ('pending', 'completed'));
