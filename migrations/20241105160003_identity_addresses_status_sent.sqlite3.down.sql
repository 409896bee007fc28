-- Rebuild with the narrower CHECK; "sent" goes back to "pending".
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
SELECT id, identity_id, via, address, created_at, CASE WHEN status = 'sent' THEN 'pending' ELSE status END, verified_at
FROM identity_addresses;

DROP TABLE identity_addresses;
ALTER TABLE identity_addresses_new RENAME TO identity_addresses;

CREATE UNIQUE INDEX identity_addresses_via_address_idx ON identity_addresses (via, address);

CREATE TRIGGER identity_addresses_validate_insert
BEFORE INSERT ON identity_addresses
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'identity_addresses: via must be one of email; sms')
    WHERE NEW.via NOT IN ('email', 'sms');
    SELECT RAISE(ABORT, 'identity_addresses: invalid email address')
    WHERE NEW.via = 'email' AND NEW.address NOT LIKE '%_@_%';
END;

CREATE TRIGGER identity_addresses_validate_update
BEFORE UPDATE OF via, address ON identity_addresses
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'identity_addresses: via must be one of email; sms')
    WHERE NEW.via NOT IN ('email', 'sms');
    SELECT RAISE(ABORT, 'identity_addresses: invalid email address')
    WHERE NEW.via = 'email' AND NEW.address NOT LIKE '%_@_%';
END;
