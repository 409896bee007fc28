ALTER TABLE identities DROP COLUMN updated_at;

ALTER TABLE identities MODIFY traits_version VARCHAR(16) NULL;
