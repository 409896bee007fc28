-- no-transaction
PRAGMA foreign_keys = OFF;

CREATE TABLE identities_new (
    id INTEGER PRIMARY KEY,
    traits_version VARCHAR(16),
    created_at VARCHAR(32),
    state VARCHAR(16) NOT NULL DEFAULT 'active',
    first_name VARCHAR(255),
    last_name VARCHAR(255)
);

INSERT INTO identities_new (id, traits_version, created_at, state, first_name, last_name)
SELECT id, CAST(traits_version AS TEXT), created_at, state, first_name, last_name
FROM identities;

DROP TABLE identities;
ALTER TABLE identities_new RENAME TO identities;

PRAGMA foreign_keys = ON;
