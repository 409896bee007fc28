INSERT INTO organizations (id, slug, name, created_at) VALUES
    ('5f2c9a7e-1b3d-4c8e-9f0a-6b7c8d9e0f12', 'cafe-muller', 'Café Müller GmbH', '2024-01-20T09:00:00Z'),
    ('8a3d0b1f-2c4e-4d9f-8a1b-7c8d9e0f1a23', 'oreilly-and-sons', 'O''Reilly & Sons', '2024-01-22T13:30:00Z');

INSERT INTO identities (id, traits_version, created_at, state, first_name, last_name, organization_id) VALUES
    (12, 4, '2024-01-25T08:00:00Z', 'active', 'Jürgen', 'Müller', '5f2c9a7e-1b3d-4c8e-9f0a-6b7c8d9e0f12'),
    (13, 4, '2024-01-26T15:30:00Z', 'active', 'Seán', 'O''Reilly', '8a3d0b1f-2c4e-4d9f-8a1b-7c8d9e0f1a23');

INSERT INTO identity_addresses (id, identity_id, via, address, created_at, status, verified_at) VALUES
    (107, 12, 'email', 'j.mueller@cafe-mueller.example.de', '2024-01-25T08:00:00Z', 'completed', '2024-01-25T08:03:00Z'),
    (108, 13, 'email', 'sean@oreilly.example.ie', '2024-01-26T15:30:00Z', 'pending', NULL);

INSERT INTO credentials (id, identity_id, credential_type, identifier, password_hash, created_at) VALUES
    (7, 12, 'password', 'j.mueller@cafe-mueller.example.de', '$argon2id$v=19$m=65536,t=3,p=4$bXVlbGxlcnNhbHQ$Qm9ndXNIYXNoRm9yVGVzdGluZ09ubHk', '2024-01-25T08:00:00Z');

INSERT INTO sessions (id, identity_id, token, issued_at, expires_at, active) VALUES
    ('5ab06e8d-0b7c-4d34-8f6a-7b8c9daebfc5', 12, 'ory_st_Lp0oK9iJ8uH7yG6tF5rD4eS3wA2qZ1xC', '2024-02-01T07:59:00Z', '2024-02-02T07:59:00Z', 0);
