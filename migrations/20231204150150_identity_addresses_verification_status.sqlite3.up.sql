-- SQLite cannot ADD CONSTRAINT: rebuild identity_addresses (nothing references
-- it, so this is safe inside the migration's transaction).
CREATE TABLE identity_addresses_new (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL,
    via VARCHAR(16) NOT NULL,
    address VARCHAR(255) NOT NULL,
    created_at VARCHAR(32),
    status VARCHAR(16) NOT NULL DEFAULT 'pending',
    verified_at VARCHAR(32),
    CONSTRAINT identity_addresses_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE,
    CONSTRAINT identity_addresses_status_check CHECK (status IN ('pending', 'completed'))
);

INSERT INTO identity_addresses_new (id, identity_id, via, address, created_at, status, verified_at)
SELECT id, identity_id, via, address, created_at,
       CASE WHEN verified = 1 THEN 'completed' ELSE 'pending' END,
       CASE WHEN verified = 1 THEN created_at ELSE NULL END
FROM identity_addresses;

DROP TABLE identity_addresses;
ALTER TABLE identity_addresses_new RENAME TO identity_addresses;

CREATE UNIQUE INDEX identity_addresses_via_address_idx ON identity_addresses (via, address);
