-- Reject unknown channels and obviously broken email addresses.
ALTER TABLE identity_addresses
    ADD CONSTRAINT identity_addresses_via_check CHECK (via IN ('email', 'sms'));
ALTER TABLE identity_addresses
    ADD CONSTRAINT identity_addresses_address_check CHECK (via <> 'email' OR address LIKE '%_@_%');
