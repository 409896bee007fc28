-- no-transaction
-- SQLite cannot drop a column that carries a foreign key: rebuild identities
-- (with foreign keys off, as other tables reference it).
PRAGMA foreign_keys = OFF;

CREATE TABLE identities_new (
    id INTEGER PRIMARY KEY,
    traits_version INTEGER NOT NULL DEFAULT 1,
    created_at VARCHAR(32),
    state VARCHAR(16) NOT NULL DEFAULT 'active',
    first_name VARCHAR(255),
    last_name VARCHAR(255),
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO identities_new (id, traits_version, created_at, state, first_name, last_name, updated_at)
SELECT id, traits_version, created_at, state, first_name, last_name, updated_at
FROM identities;

DROP TABLE identities;
ALTER TABLE identities_new RENAME TO identities;

DROP TABLE organizations;

PRAGMA foreign_keys = ON;
