-- A verified but suspended account: state no longer follows is_verified.
INSERT INTO users (id, email, name, is_verified, traits_version, created_at, state) VALUES
    (6, 'zoe.vanderberg@example.nl', 'Zoë  van der Berg ', 1, '2', '2023-05-02T14:20:00Z', 'inactive');

INSERT INTO sessions (id, user_id, token, issued_at, expires_at, active) VALUES
    ('3e9d4c6b-8f5a-4b12-8d4e-5f6a7b8c9da3', 2, 'ory_st_Qw2eR4tY6uI8oP0aS1dF3gH5jK7lZ9xC', '2023-05-03T06:45:00Z', '2023-05-04T06:45:00Z', 0);
