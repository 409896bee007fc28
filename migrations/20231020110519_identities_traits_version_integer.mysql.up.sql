-- MySQL changes a column type with MODIFY (it converts the numeric strings).
UPDATE identities SET traits_version = '1' WHERE traits_version IS NULL;

ALTER TABLE identities MODIFY traits_version INTEGER NOT NULL DEFAULT 1;

ALTER TABLE identities ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;
