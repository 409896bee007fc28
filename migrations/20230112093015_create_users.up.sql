-- First release: a plain users table. Dates are stored as ISO-8601 text and
-- traits_version as text; both are cleaned up by later migrations.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    name VARCHAR(255),
    is_verified INTEGER NOT NULL DEFAULT 0,
    traits_version VARCHAR(16),
    created_at VARCHAR(32)
);

CREATE UNIQUE INDEX users_email_idx ON users (email);
