-- A credential with two identifiers (email and username).
INSERT INTO credentials (id, identity_id, credential_type, password_hash, created_at) VALUES
    (8, 14, 'password', '$2a$12$Wq8xC5yA8oP3kN1jG6hL4dB9uR7sV2mZ0eF3tQ1iK5pT3J1cY6Xbk', '2024-07-02T12:00:00Z');

INSERT INTO identity_credential_identifiers (id, identity_credential_id, identifier, created_at) VALUES
    (201, 8, 'gosia+work@cafe-mueller.example.de', '2024-07-02T12:00:00Z'),
    (202, 8, 'gosia_w', '2024-07-02T12:00:00Z');
