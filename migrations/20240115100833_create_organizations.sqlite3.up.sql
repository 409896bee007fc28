-- SQLite cannot ADD CONSTRAINT, but ADD COLUMN may carry a REFERENCES clause
-- as long as the column defaults to NULL.
CREATE TABLE organizations (
    id VARCHAR(36) PRIMARY KEY,
    slug VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);

ALTER TABLE identities ADD COLUMN organization_id VARCHAR(36)
    CONSTRAINT identities_organization_fk REFERENCES organizations (id) ON DELETE SET NULL;
CREATE INDEX identities_organization_id_idx ON identities (organization_id);
