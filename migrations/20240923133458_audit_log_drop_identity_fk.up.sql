-- Audit entries must outlive the identity they are about (compliance), and
-- ON DELETE SET NULL destroyed exactly that information: drop the foreign key.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_identity_fk;
