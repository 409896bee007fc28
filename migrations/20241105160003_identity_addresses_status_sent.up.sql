-- New verification status "sent" (code sent, not yet confirmed): widen the CHECK.
ALTER TABLE identity_addresses DROP CONSTRAINT identity_addresses_status_check;
ALTER TABLE identity_addresses
    ADD CONSTRAINT identity_addresses_status_check CHECK (status IN ('pending', 'sent', 'completed'));
