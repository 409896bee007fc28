-- First customers: accents, an apostrophe, plus addressing, a mononym with no
-- traits_version / created_at.
INSERT INTO users (id, email, name, is_verified, traits_version, created_at) VALUES
    (1, 'jose.alvarez@example.com', 'José Álvarez', 1, '1', '2023-01-15T08:00:00Z'),
    (2, 'siobhan.obrien+newsletter@example.ie', 'Siobhán O''Brien', 0, '1', '2023-01-16T12:30:00Z'),
    (3, 'madonna@example.org', 'Madonna', 1, NULL, NULL);
