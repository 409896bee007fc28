INSERT INTO users (id, email, name, is_verified, traits_version, created_at) VALUES
    (5, 'test+qa@example.net', NULL, 0, '1', '2023-03-18T07:05:00Z');

INSERT INTO sessions (id, user_id, token, issued_at, expires_at, active) VALUES
    ('0b6a1f3e-5c2d-4e8f-9a1b-2c3d4e5f6a70', 1, 'ory_st_Xb3kP9mQ2rT7vW1yZ4aC6eG8iK0oM5sU', '2023-03-20T10:00:00Z', '2023-03-21T10:00:00Z', 0),
    ('1c7b2a4f-6d3e-4f90-8b2c-3d4e5f6a7b81', 1, 'ory_st_Ab1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV', '2023-03-27T08:30:00Z', '2023-04-27T08:30:00Z', 1),
    ('2d8c3b5a-7e4f-4a01-9c3d-4e5f6a7b8c92', 4, 'ory_st_Zy9xW8vU7tS6rQ5pO4nM3lK2jI1hG0fE', '2023-03-29T21:12:00Z', NULL, 1);
