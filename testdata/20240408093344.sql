-- A machine identity (no person behind it) with only a phone number.
INSERT INTO identities (id, traits_version, created_at, state, first_name, last_name, organization_id, last_login_at) VALUES
    (15, 5, '2024-04-10T00:00:00Z', 'active', NULL, NULL, '8a3d0b1f-2c4e-4d9f-8a1b-7c8d9e0f1a23', NULL);

INSERT INTO identity_addresses (id, identity_id, via, address, created_at, status, verified_at) VALUES
    (110, 15, 'sms', '+353871234567', '2024-04-10T00:00:00Z', 'pending', NULL);
