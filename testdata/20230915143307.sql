-- Identities no longer have an email column; addresses live in their own table.
INSERT INTO identities (id, traits_version, created_at, state, first_name, last_name) VALUES
    (9, '3', '2023-09-20T11:11:00Z', 'active', 'Åsa', 'Lindqvist');

INSERT INTO identity_addresses (id, identity_id, via, address, verified, created_at) VALUES
    (101, 9, 'email', 'asa.lindqvist@example.se', 1, '2023-09-20T11:11:00Z'),
    (102, 9, 'sms', '+46701234567', 0, '2023-09-21T08:00:00Z'),
    (103, 5, 'email', 'qa-alt+2@example.net', 0, NULL);
