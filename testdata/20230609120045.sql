INSERT INTO users (id, email, first_name, last_name, is_verified, traits_version, created_at, state) VALUES
    (7, 'renee.dangelo@example.fr', 'Renée', 'D''Angelo', 1, '2', '2023-06-15T09:00:00Z', 'active');

INSERT INTO credentials (id, user_id, credential_type, identifier, password_hash, created_at) VALUES
    (4, 7, 'password', 'renee.dangelo@example.fr', '$2a$12$KIXQJt1c5Y6p8nTq3wZfEe0mV2sR7uB9dL4hG6jN1kP3oA5yC8xWq', '2023-06-15T09:00:00Z');
