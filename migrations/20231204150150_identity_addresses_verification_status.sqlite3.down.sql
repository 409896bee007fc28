CREATE TABLE identity_addresses_new (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL,
    via VARCHAR(16) NOT NULL,
    address VARCHAR(255) NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    created_at VARCHAR(32),
    CONSTRAINT identity_addresses_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);

INSERT INTO identity_addresses_new (id, identity_id, via, address, verified, created_at)
SELECT id, identity_id, via, address, CASE WHEN status = 'completed' THEN 1 ELSE 0 END, created_at
FROM identity_addresses;

DROP TABLE identity_addresses;
ALTER TABLE identity_addresses_new RENAME TO identity_addresses;

CREATE UNIQUE INDEX identity_addresses_via_address_idx ON identity_addresses (via, address);
