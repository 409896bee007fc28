INSERT INTO users (id, email, name, is_verified, traits_version, created_at) VALUES
    (4, 'mj.watson@example.com', 'Mary Jane Watson', 1, '2', '2023-02-10T09:15:00Z');

INSERT INTO credentials (id, user_id, credential_type, identifier, password_hash, created_at) VALUES
    (1, 1, 'password', 'jose.alvarez@example.com', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$J0sQaGFzaGVkLXBhc3N3b3JkLWJ5dGVz', '2023-02-04T10:00:00Z'),
    (2, 4, 'password', 'mj.watson@example.com', '$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', '2023-02-10T09:15:00Z'),
    (3, 3, 'oidc', 'google:109876543210987654321', NULL, '2023-02-11T18:45:00Z');
