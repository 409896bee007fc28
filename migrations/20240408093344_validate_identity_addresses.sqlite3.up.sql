-- SQLite cannot add CHECK constraints to an existing table; enforce the same
-- rules with triggers instead of rebuilding the table.
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
