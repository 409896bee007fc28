INSERT INTO identities (id, traits_version, created_at, state, first_name, last_name) VALUES
    (11, 4, '2023-12-12T22:00:00Z', 'active', 'Ngaio', NULL);

INSERT INTO identity_addresses (id, identity_id, via, address, created_at, status, verified_at) VALUES
    (105, 10, 'sms', '+2348012345678', '2023-12-10T10:00:00Z', 'completed', '2023-12-10T10:05:00Z'),
    (106, 11, 'email', 'ngaio@example.co.nz', NULL, 'pending', NULL);
