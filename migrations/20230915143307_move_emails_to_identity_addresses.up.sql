-- An identity can now have several verifiable addresses (email, sms).
-- Move each identity's email and its verification flag into the new table,
-- reusing the identity id as the address id so the move is deterministic.
CREATE TABLE identity_addresses (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL,
    via VARCHAR(16) NOT NULL,
    address VARCHAR(255) NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    created_at VARCHAR(32),
    CONSTRAINT identity_addresses_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX identity_addresses_via_address_idx ON identity_addresses (via, address);

INSERT INTO identity_addresses (id, identity_id, via, address, verified, created_at)
SELECT id, id, 'email', email, is_verified, created_at
FROM identities
WHERE email IS NOT NULL;

DROP INDEX users_email_idx;
ALTER TABLE identities DROP COLUMN email;
ALTER TABLE identities DROP COLUMN is_verified;
