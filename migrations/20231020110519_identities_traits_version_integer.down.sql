ALTER TABLE identities DROP COLUMN updated_at;

ALTER TABLE identities ALTER COLUMN traits_version DROP NOT NULL;
ALTER TABLE identities ALTER COLUMN traits_version DROP DEFAULT;
ALTER TABLE identities ALTER COLUMN traits_version TYPE VARCHAR(16) USING CAST(traits_version AS VARCHAR(16));
