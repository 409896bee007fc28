-- Entries about deleted identities cannot satisfy the foreign key any more.
UPDATE audit_log
SET identity_id = NULL
WHERE identity_id IS NOT NULL
  AND identity_id NOT IN (SELECT id FROM identities);

ALTER TABLE audit_log
    ADD CONSTRAINT audit_log_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE SET NULL;
