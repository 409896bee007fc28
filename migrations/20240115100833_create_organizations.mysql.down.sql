ALTER TABLE identities DROP FOREIGN KEY identities_organization_fk;
DROP INDEX identities_organization_id_idx ON identities;
ALTER TABLE identities DROP COLUMN organization_id;
DROP TABLE organizations;
