-- no-transaction
-- SQLite cannot change a column type, and cannot ADD COLUMN with a
-- non-constant default such as CURRENT_TIMESTAMP: rebuild the table.
-- credentials, sessions and identity_addresses reference identities, so
-- foreign keys are switched off around the rebuild (a no-op inside a
-- transaction, hence no-transaction).
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
SELECT id, CAST(COALESCE(traits_version, '1') AS INTEGER), created_at, state, first_name, last_name, CURRENT_TIMESTAMP
FROM identities;

DROP TABLE identities;
ALTER TABLE identities_new RENAME TO identities;

PRAGMA foreign_keys = ON;
