-- MySQL spelling for dropping a foreign key.
ALTER TABLE audit_log DROP FOREIGN KEY audit_log_identity_fk;
