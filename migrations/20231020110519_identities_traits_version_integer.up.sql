-- traits_version was stored as text; make it a NOT NULL integer (NULL meant 1).
-- Also start tracking updated_at; existing rows get the time of the migration.
UPDATE identities SET traits_version = '1' WHERE traits_version IS NULL;

ALTER TABLE identities ALTER COLUMN traits_version TYPE INTEGER USING CAST(traits_version AS INTEGER);
ALTER TABLE identities ALTER COLUMN traits_version SET DEFAULT 1;
ALTER TABLE identities ALTER COLUMN traits_version SET NOT NULL;

ALTER TABLE identities ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;
