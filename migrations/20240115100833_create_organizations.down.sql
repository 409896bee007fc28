ALTER TABLE identities DROP CONSTRAINT identities_organization_fk;
DROP INDEX identities_organization_id_idx;
ALTER TABLE identities DROP COLUMN organization_id;
DROP TABLE organizations;
