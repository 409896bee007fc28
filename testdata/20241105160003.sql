INSERT INTO identity_addresses (id, identity_id, via, address, created_at, status, verified_at) VALUES
    (111, 13, 'sms', '+353861112222', '2024-11-06T09:30:00Z', 'sent', NULL);
