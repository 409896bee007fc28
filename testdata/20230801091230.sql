INSERT INTO identities (id, email, first_name, last_name, is_verified, traits_version, created_at, state) VALUES
    (8, 'li.wei@example.cn', '伟', '李', 0, '1', '2023-08-03T02:10:00Z', 'active');

INSERT INTO credentials (id, identity_id, credential_type, identifier, password_hash, created_at) VALUES
    (5, 8, 'password', 'li.wei@example.cn', '$2a$12$7bQe1yT3uK5oM9sW2xZ4aCgE6iG8kI0mO2qS4uW6yA8cE0gI2kM4o', '2023-08-03T02:10:00Z');

INSERT INTO sessions (id, identity_id, token, issued_at, expires_at, active) VALUES
    ('4fae5d7c-9a6b-4c23-9e5f-6a7b8c9daeb4', 8, 'ory_st_Mn8bV6cX4zL2kJ0hG9fD7sA5pO3iU1yT', '2023-08-03T02:11:00Z', '2023-09-02T02:11:00Z', 1);
