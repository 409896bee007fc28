INSERT INTO identities (id, traits_version, created_at, state, first_name, last_name, organization_id, last_login_at) VALUES
    (14, 5, '2024-03-03T10:10:00Z', 'active', 'Małgorzata', 'Wiśniewska-Kowalczyk', '5f2c9a7e-1b3d-4c8e-9f0a-6b7c8d9e0f12', '2024-03-04T09:00:00Z');

INSERT INTO identity_addresses (id, identity_id, via, address, created_at, status, verified_at) VALUES
    (109, 14, 'email', 'gosia+work@cafe-mueller.example.de', '2024-03-03T10:10:00Z', 'completed', '2024-03-03T10:12:00Z');

INSERT INTO sessions (id, identity_id, token, issued_at, expires_at, active) VALUES
    ('6bc17f9e-1c8d-4e45-9a7b-8c9daebfc0d6', 14, 'ory_st_Hg5fD4sA3qW2eR1tY0uI9oP8lK7jM6nB', '2024-03-04T09:00:00Z', '2024-03-05T09:00:00Z', 1);
