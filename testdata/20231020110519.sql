-- traits_version is an integer now; updated_at is left to its default.
INSERT INTO identities (id, traits_version, created_at, state, first_name, last_name) VALUES
    (10, 4, '2023-11-01T16:45:00Z', 'active', 'Oluwaseun', 'Adébáyọ̀');

INSERT INTO identity_addresses (id, identity_id, via, address, verified, created_at) VALUES
    (104, 10, 'email', 'seun@example.ng', 0, '2023-11-01T16:45:00Z');

INSERT INTO credentials (id, identity_id, credential_type, identifier, password_hash, created_at) VALUES
    (6, 10, 'oidc', 'github:4242', NULL, '2023-11-01T16:45:00Z');
