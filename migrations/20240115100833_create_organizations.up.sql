-- Multi-tenancy: identities may belong to an organization.
CREATE TABLE organizations (
    id VARCHAR(36) PRIMARY KEY,
    slug VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);

ALTER TABLE identities ADD COLUMN organization_id VARCHAR(36);
CREATE INDEX identities_organization_id_idx ON identities (organization_id);
ALTER TABLE identities
    ADD CONSTRAINT identities_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE SET NULL;
